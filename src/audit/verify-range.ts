/**
 * "Verify this range" (the console's audit screen, POST /v1/audit/verify): the stored records of a
 * time range, widened to checkpoint boundaries as an export is (bundle.ts), verified in place by the
 * same verifier as `portcullis audit verify` (verify.ts): hashes recomputed, links and stored
 * columns checked, checkpoint signatures verified with the stored public keys. When the range
 * reaches the chain's head, the head row is checked too (a truncated tail). The records newer than
 * the last checkpoint come back as `not_anchored`, never as verified.
 */
import type { AuditLog } from './audit-log.js';
import { checkpointedRange } from './bundle.js';
import { verifyChain, type VerifyReport } from './verify.js';

/** `since` inclusive, `until` exclusive, in ms since the epoch; undefined: open-ended. */
export async function verifyRange(log: AuditLog, since: number | undefined, until: number | undefined): Promise<VerifyReport> {
  const checkpoints = await log.checkpoints();
  const range = await checkpointedRange(log, checkpoints, since, until);
  const head = await log.head();
  return verifyChain({
    records: range ? log.walk(range.fromSeq, range.toSeq) : [],
    checkpoints,
    keys: await log.keys(),
    rangeEnd: range?.toSeq ?? 0,
    head: range && range.toSeq === head.seq ? head : undefined,
  });
}
