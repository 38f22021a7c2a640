/**
 * Reading the audit trail from the store: a filtered, cursor-paged list (admin API, CLI), one record
 * by seq, and the whole chain with its checkpoints, keys and head for export and verification.
 * Writes are the store's (store/audit-chain.ts) and the checkpointer's; nothing here changes a row.
 */
import type { Kysely } from 'kysely';
import type { AuditRecord } from '../store/audit-record.js';
import type { StoreTables } from '../store/tables.js';
import type { PublicCheckpointKey, SignedCheckpoint } from './checkpoint.js';
import type { ChainInput, StoredRecord } from './verify.js';

export interface AuditFilter {
  readonly actorId?: string | undefined;
  readonly actorType?: string | undefined;
  readonly action?: string | undefined;
  readonly targetKind?: string | undefined;
  readonly targetId?: string | undefined;
  /** ms since the epoch, inclusive. */
  readonly since?: number | undefined;
  /** ms since the epoch, exclusive. */
  readonly until?: number | undefined;
}

/** Rows are read in pages of this many when the whole chain is walked. */
const WALK_PAGE = 1000;

export class AuditLog {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** Newest first: records with seq below `beforeSeq` (none: from the newest) matching `filter`, at most `limit`. */
  async page(filter: AuditFilter, page: { beforeSeq?: number | undefined; limit: number }): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_records').select('record');
    if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
    if (filter.actorType !== undefined) query = query.where('actor_type', '=', filter.actorType);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.targetKind !== undefined) query = query.where('target_kind', '=', filter.targetKind);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.since !== undefined) query = query.where('time', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('time', '<', filter.until);
    if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq);
    const rows = await query.orderBy('seq', 'desc').limit(page.limit).execute();
    return rows.map((row) => JSON.parse(row.record) as AuditRecord);
  }

  async get(seq: number): Promise<AuditRecord | undefined> {
    const row = await this.db.selectFrom('audit_records').select('record').where('seq', '=', seq).executeTakeFirst();
    return row && (JSON.parse(row.record) as AuditRecord);
  }

  /** The stored rows from `fromSeq` to `toSeq` (inclusive), in seq order, with their columns, a page at a time. */
  async *walk(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): AsyncGenerator<StoredRecord> {
    let after = fromSeq - 1;
    for (;;) {
      const rows = await this.db.selectFrom('audit_records').selectAll().where('seq', '>', after).where('seq', '<=', toSeq).orderBy('seq').limit(WALK_PAGE).execute();
      for (const row of rows) {
        const seq = Number(row.seq);
        yield {
          text: row.record,
          where: `seq ${seq}`,
          columns: { seq, hash: row.hash, action: row.action, actorType: row.actor_type, actorId: row.actor_id, targetKind: row.target_kind, targetId: row.target_id, outcome: row.outcome, time: Number(row.time) },
        };
        after = seq;
      }
      if (rows.length < WALK_PAGE) return;
    }
  }

  async checkpoints(): Promise<SignedCheckpoint[]> {
    const rows = await this.db.selectFrom('audit_checkpoints').select(['body', 'signature']).orderBy('to_seq').execute();
    return rows.map((row) => ({ ...(JSON.parse(row.body) as Omit<SignedCheckpoint, 'signature'>), signature: row.signature }));
  }

  async keys(): Promise<PublicCheckpointKey[]> {
    const rows = await this.db.selectFrom('audit_keys').selectAll().orderBy('first_used_at').orderBy('key_id').execute();
    return rows.map((row) => ({ keyId: row.key_id, algorithm: 'Ed25519', publicKey: row.public_key }));
  }

  /** The chain's head as the `store_revision` row holds it. */
  async head(): Promise<{ seq: number; hash: string }> {
    const row = await this.db.selectFrom('store_revision').select(['audit_seq', 'audit_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { seq: Number(row.audit_seq), hash: row.audit_hash };
  }

  /** Everything the verifier needs to check the live store. */
  async liveChain(): Promise<ChainInput> {
    return { records: this.walk(), checkpoints: await this.checkpoints(), keys: await this.keys(), head: await this.head(), complete: true };
  }

  /** The first record still stored (older ones may have been archived), or undefined when none is. */
  async firstSeq(): Promise<number | undefined> {
    const row = await this.db.selectFrom('audit_records').select((eb) => eb.fn.min('seq').as('first')).executeTakeFirst();
    return row?.first === null || row?.first === undefined ? undefined : Number(row.first);
  }

  /** The first record whose `time` is at or after `time` (ms since the epoch), or undefined. */
  async firstSeqAtOrAfter(time: number): Promise<number | undefined> {
    const row = await this.db.selectFrom('audit_records').select((eb) => eb.fn.min('seq').as('first')).where('time', '>=', time).executeTakeFirst();
    return row?.first === null || row?.first === undefined ? undefined : Number(row.first);
  }

  /** The seq range of records with `time` in [since, until): first and last, or undefined when none. */
  async seqRange(since: number | undefined, until: number | undefined): Promise<{ first: number; last: number } | undefined> {
    let query = this.db.selectFrom('audit_records');
    if (since !== undefined) query = query.where('time', '>=', since);
    if (until !== undefined) query = query.where('time', '<', until);
    const row = await query.select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')]).executeTakeFirst();
    if (!row || row.first === null || row.last === null) return undefined;
    return { first: Number(row.first), last: Number(row.last) };
  }
}
