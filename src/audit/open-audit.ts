/**
 * The audit trail's services for a running gateway: the reader the admin API serves, and (where
 * the gateway runs its schedules: a single process, or the lead worker under --workers) the
 * checkpointer, when a signing key is configured.
 */
import type { Clock } from '../core/clock.js';
import type { AuditConfig } from '../config/audit-schema.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { AuditLog } from './audit-log.js';
import { loadCheckpointKey } from './checkpoint-key.js';
import { AuditCheckpointer } from './checkpointer.js';

export interface OpenedAudit {
  readonly log: AuditLog;
  readonly checkpointer: AuditCheckpointer | undefined;
  stop(): Promise<void>;
}

/** Throws CheckpointKeyError for a key that is configured but unusable (the start fails, naming the option). */
export async function openAudit(config: AuditConfig | undefined, deps: { store: Store; schedule: boolean; clock: Clock; logger: () => Logger }): Promise<OpenedAudit> {
  const log = new AuditLog(deps.store.db);
  const key = config ? await loadCheckpointKey(config) : undefined;
  if (!key || !deps.schedule || !config) {
    if (!key && deps.schedule) deps.logger().warn({ event: 'audit.checkpoints_off' }, 'no audit.signingKey: audit records are chained but no checkpoint signs them');
    return { log, checkpointer: undefined, stop: async () => {} };
  }
  const checkpointer = new AuditCheckpointer(deps.store, key, config.checkpoint, { clock: deps.clock, logger: deps.logger });
  checkpointer.start();
  return { log, checkpointer, stop: () => checkpointer.stop() };
}
