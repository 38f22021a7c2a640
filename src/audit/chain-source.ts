/**
 * The committed audit chain as the sink deliverers read it: records after a seq, in seq order,
 * exactly as stored (the canonical JSON audit-core hashed), and the chain's head. Reads only:
 * what a reader sees is committed (the head moves in the same transaction as the record).
 */
import type { Kysely } from 'kysely';
import type { StoreTables } from '../store/tables.js';
import type { AuditRecordSource } from './sink-deliverer.js';
import type { SinkRecord } from './sinks/sink.js';

export class ChainSource implements AuditRecordSource {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async readAfter(after: number, limit: number): Promise<SinkRecord[]> {
    const rows = await this.db.selectFrom('audit_records').select('record').where('seq', '>', after).orderBy('seq').limit(limit).execute();
    return rows.map((row) => JSON.parse(row.record) as SinkRecord);
  }

  async headSeq(): Promise<number> {
    const row = await this.db.selectFrom('store_revision').select('audit_seq').where('id', '=', 1).executeTakeFirst();
    return Number(row?.audit_seq ?? 0);
  }
}
