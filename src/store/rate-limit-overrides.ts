/**
 * Rate-limit overrides: a consumer's or an API key's own numbers for a named limit. Written by the
 * admin API, followed by every node through the change feed (ratelimit/override-index.ts), so an
 * override takes effect without a restart.
 */
import type { Kysely } from 'kysely';
import { newRateLimitOverrideId } from './ids.js';
import { chunks, keysetPage, NotFoundError, type Db, type PageRequest } from './repositories.js';
import { recordChange, type WriteTx } from './store.js';
import type { RateLimitOverridesTable, StoreTables } from './tables.js';

export type OverrideSubjectType = RateLimitOverridesTable['subject_type'];

export interface RateLimitOverride {
  id: string;
  subjectType: OverrideSubjectType;
  subjectId: string;
  limitName: string;
  limit: number;
  /** Null: the configured window stays. */
  windowSeconds: number | null;
  /** Null: the burst follows the limit. */
  burst: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface OverrideFilter {
  subjectType?: OverrideSubjectType | undefined;
  subjectId?: string | undefined;
}

export type OverrideInput = Pick<RateLimitOverride, 'subjectType' | 'subjectId' | 'limitName' | 'limit' | 'windowSeconds' | 'burst'>;

const toOverride = (row: RateLimitOverridesTable): RateLimitOverride => ({
  id: row.id,
  subjectType: row.subject_type,
  subjectId: row.subject_id,
  limitName: row.limit_name,
  limit: Number(row.limit),
  windowSeconds: row.window_seconds === null ? null : Number(row.window_seconds),
  burst: row.burst === null ? null : Number(row.burst),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export class RateLimitOverrideRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** Creates the override, or replaces the numbers of the one for the same subject and limit. */
  async set(tx: WriteTx, input: OverrideInput): Promise<RateLimitOverride> {
    const now = tx.now;
    const existing = await tx.db
      .selectFrom('rate_limit_overrides')
      .select('id')
      .where('subject_type', '=', input.subjectType)
      .where('subject_id', '=', input.subjectId)
      .where('limit_name', '=', input.limitName)
      .executeTakeFirst();
    const values = { limit: input.limit, window_seconds: input.windowSeconds, burst: input.burst, updated_at: now };
    const id = existing?.id ?? newRateLimitOverrideId();
    const before = existing ? await this.get(id, tx.db) : undefined;
    if (existing) await tx.db.updateTable('rate_limit_overrides').set(values).where('id', '=', id).execute();
    else await tx.db.insertInto('rate_limit_overrides').values({ id, subject_type: input.subjectType, subject_id: input.subjectId, limit_name: input.limitName, created_at: now, ...values }).execute();
    const after = await this.get(id, tx.db);
    await recordChange(tx, 'rate_limit_override', id, { changes: { before, after } });
    return after;
  }

  /** `db`: a unit of work's transaction, to read what it wrote. */
  async get(id: string, db: Db = this.db): Promise<RateLimitOverride> {
    const row = await db.selectFrom('rate_limit_overrides').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('rate limit override', id);
    return toOverride(row);
  }

  async list(filter: OverrideFilter = {}): Promise<RateLimitOverride[]> {
    return (await this.#filtered(filter).orderBy('created_at').orderBy('id').execute()).map(toOverride);
  }

  /** One page in id order (keysetPage). */
  async page(filter: OverrideFilter, page: PageRequest): Promise<RateLimitOverride[]> {
    return (await keysetPage(this.#filtered(filter), page).execute()).map(toOverride);
  }

  #filtered(filter: OverrideFilter) {
    let query = this.db.selectFrom('rate_limit_overrides').selectAll();
    if (filter.subjectType) query = query.where('subject_type', '=', filter.subjectType);
    if (filter.subjectId) query = query.where('subject_id', '=', filter.subjectId);
    return query;
  }

  async listByIds(ids: readonly string[]): Promise<RateLimitOverride[]> {
    const rows: RateLimitOverridesTable[] = [];
    for (const chunk of chunks(ids)) rows.push(...(await this.db.selectFrom('rate_limit_overrides').selectAll().where('id', 'in', chunk).execute()));
    return rows.map(toOverride);
  }

  async delete(tx: WriteTx, id: string): Promise<void> {
    const before = await this.get(id, tx.db);
    await tx.db.deleteFrom('rate_limit_overrides').where('id', '=', id).execute();
    await recordChange(tx, 'rate_limit_override', id, { changes: { before } });
  }
}
