/**
 * The hash chain of the audit trail (docs/audit.md): the one function that appends a record inside
 * a unit of work. It lives in store/ because the store's `recordChange` appends a record in the same
 * transaction as the change (store/ is the lowest service and may not import audit/); checkpoints,
 * verification, export and reading are audit/'s.
 *
 * `seq` and the chain's head are taken from the `store_revision` row under its row lock, so `seq` is
 * gap-free and in commit order on every node (a PostgreSQL sequence leaves gaps on rollback).
 */
import { AUDIT_RECORD_VERSION, auditActor, auditRecordHash, boundedUserAgent, canonicalJson, diffChanges, maskSecrets, type AuditEntry, type AuditRecord } from './audit-record.js';
import type { WriteTx } from './write-tx.js';

/**
 * Appends one record in `tx`, as `tx.actor`: takes the next `seq` and the chain's head from the
 * `store_revision` row (locking it until commit: writers append in one order on every node), writes
 * the record and moves the head. Throws if either write fails, so the whole unit rolls back.
 */
export async function appendAuditRecord(tx: WriteTx, entry: AuditEntry): Promise<AuditRecord> {
  const head = await tx.db
    .updateTable('store_revision')
    .set((eb) => ({ audit_seq: eb('audit_seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['audit_seq', 'audit_hash'])
    .executeTakeFirstOrThrow();
  const changes = diffChanges(entry.detail?.changes?.before, entry.detail?.changes?.after);
  const actor = tx.actor;
  const userAgent = boundedUserAgent(actor.userAgent);
  const unsigned: Omit<AuditRecord, 'hash'> = {
    v: AUDIT_RECORD_VERSION,
    seq: Number(head.audit_seq),
    time: new Date(tx.now).toISOString(),
    actor: auditActor(actor),
    action: entry.action,
    target: { kind: entry.target.kind, id: entry.target.id },
    ...(changes === undefined ? {} : { changes }),
    ...(entry.detail?.detail === undefined ? {} : { detail: maskSecrets(entry.detail.detail) }),
    ...(actor.requestId === undefined ? {} : { requestId: actor.requestId }),
    ...(actor.ip === undefined ? {} : { sourceIp: actor.ip }),
    ...(userAgent === undefined ? {} : { userAgent }),
    outcome: entry.detail?.outcome ?? 'success',
    prevHash: head.audit_hash,
  };
  const record: AuditRecord = { ...unsigned, hash: auditRecordHash(unsigned) };
  await tx.db
    .insertInto('audit_records')
    .values({
      seq: record.seq,
      time: tx.now,
      actor_type: record.actor.type,
      actor_id: record.actor.id,
      action: record.action,
      target_kind: record.target.kind,
      target_id: record.target.id,
      outcome: record.outcome,
      record: canonicalJson(record),
      hash: record.hash,
    })
    .execute();
  await tx.db.updateTable('store_revision').set({ audit_hash: record.hash }).where('id', '=', 1).execute();
  tx.noteAudit(record);
  return record;
}
