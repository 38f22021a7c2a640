/**
 * The one repository layer over both dialects: consumers, API keys, and the change feed that lets
 * every gateway node follow writes without querying per request. Writes run inside a unit of work
 * (store.ts: `store.write(actor, action, tx => …)`) and take its transaction, so every write and its
 * change row commit together, attributed to the actor.
 */
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import { describeActor } from '../core/actor.js';
import { newConsumerId } from './ids.js';
import { recordChange, type WriteTx } from './store.js';
import { SECRET_MARKER } from './audit-record.js';
import type { ApiKeyStatus, ApiKeysTable, ConsumerStatus, ConsumersTable, StoreTables } from './tables.js';

export interface Consumer {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  status: ConsumerStatus;
  createdAt: number;
  updatedAt: number;
}

export interface ApiKeyRecord {
  id: string;
  consumerId: string;
  name: string;
  environment: string;
  hash: string;
  scopes: string[];
  status: ApiKeyStatus;
  expiresAt: number | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  replacedBy: string | null;
  revokedAt: number | null;
}

export type VerificationRow = Pick<ApiKeysTable, 'id' | 'consumer_id' | 'hash' | 'scopes' | 'status' | 'expires_at' | 'created_at' | 'replaced_by'>;

export type NewApiKey = Omit<ApiKeyRecord, 'status' | 'createdAt' | 'lastUsedAt' | 'replacedBy' | 'revokedAt'>;

export class NotFoundError extends Error {
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} ${id} not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export type Db = Kysely<StoreTables> | Transaction<StoreTables>;

/** Bind-parameter limits (SQLite 32766, PostgreSQL 65535) cap `IN (...)` lists: query in chunks. */
const ID_CHUNK = 500;

export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}

/** One page of a list: the rows whose id sorts after `after` (none: from the start), at most `limit`. */
export interface PageRequest {
  readonly after?: string | undefined;
  readonly limit: number;
}

/**
 * Keyset pagination (`WHERE id > after ORDER BY id LIMIT n`): every page costs one walk of the
 * primary-key index from `after`, however deep the page, and a row written between two pages never
 * shifts the rows of the next one (OFFSET would skip or repeat them).
 */
export function keysetPage<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: PageRequest): SelectQueryBuilder<DB, TB, O> {
  const after = page.after === undefined ? query : query.where(sql.ref('id'), '>', page.after);
  return after.orderBy(sql.ref('id')).limit(page.limit);
}

/** A unique or primary-key violation, in either dialect: a conflict, not an outage. */
export function isUniqueViolation(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** Credentials are issued only to an existing, active consumer (checked in the writing transaction). */
export async function requireActiveConsumer(tx: Db, consumerId: string): Promise<void> {
  const consumer = await tx.selectFrom('consumers').select('status').where('id', '=', consumerId).executeTakeFirst();
  if (!consumer) throw new NotFoundError('consumer', consumerId);
  if (consumer.status !== 'active') throw new ConflictError(`consumer ${consumerId} is disabled`);
}

const toConsumer = (row: ConsumersTable): Consumer => ({
  id: row.id,
  name: row.name,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** A key as its audit record shows it: the hash stands as SECRET_MARKER (it is never written to the trail). */
const auditedKey = (key: ApiKeyRecord) => ({ ...key, hash: SECRET_MARKER });

const toApiKey = (row: ApiKeysTable): ApiKeyRecord => ({
  id: row.id,
  consumerId: row.consumer_id,
  name: row.name,
  environment: row.environment,
  hash: row.hash,
  scopes: JSON.parse(row.scopes) as string[],
  status: row.status,
  expiresAt: row.expires_at,
  createdBy: row.created_by,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  replacedBy: row.replaced_by,
  revokedAt: row.revoked_at,
});

export class ConsumerRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async create(tx: WriteTx, input: { name: string; metadata?: Record<string, unknown> }): Promise<Consumer> {
    const now = tx.now;
    const row: ConsumersTable = { id: newConsumerId(), name: input.name, metadata: JSON.stringify(input.metadata ?? {}), status: 'active', created_at: now, updated_at: now };
    const clash = await tx.db.selectFrom('consumers').select('id').where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new ConflictError(`a consumer named "${input.name}" exists already`);
    await tx.db.insertInto('consumers').values(row).execute();
    const consumer = toConsumer(row);
    await recordChange(tx, 'consumer', row.id, { changes: { after: consumer } });
    return consumer;
  }

  /** `db`: a unit of work's transaction, to read what it wrote. */
  async get(id: string, db: Db = this.db): Promise<Consumer> {
    const row = await db.selectFrom('consumers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('consumer', id);
    return toConsumer(row);
  }

  async list(): Promise<Consumer[]> {
    return (await this.db.selectFrom('consumers').selectAll().orderBy('created_at').orderBy('id').execute()).map(toConsumer);
  }

  /** One page in id order (keysetPage). */
  async page(page: PageRequest): Promise<Consumer[]> {
    return (await keysetPage(this.db.selectFrom('consumers').selectAll(), page).execute()).map(toConsumer);
  }

  async listByIds(ids: readonly string[]): Promise<Consumer[]> {
    const rows: ConsumersTable[] = [];
    for (const chunk of chunks(ids)) rows.push(...(await this.db.selectFrom('consumers').selectAll().where('id', 'in', chunk).execute()));
    return rows.map(toConsumer);
  }

  /**
   * Replaces the consumer's metadata (the caller merged and checked it); one audited change with
   * before and after. `detail`: facts the masked `changes` cannot show (the audit masks a member
   * named like `apiKeys`, so the route passes the key-age policy before and after here).
   */
  async setMetadata(tx: WriteTx, id: string, metadata: Record<string, unknown>, detail?: Record<string, unknown>): Promise<Consumer> {
    const before = await this.get(id, tx.db);
    await tx.db.updateTable('consumers').set({ metadata: JSON.stringify(metadata), updated_at: tx.now }).where('id', '=', id).execute();
    const after = await this.get(id, tx.db);
    await recordChange(tx, 'consumer', id, { changes: { before, after }, ...(detail === undefined ? {} : { detail }) });
    return after;
  }

  /** Disabling a consumer stops every one of its keys at once (the gateway checks the consumer). */
  async setStatus(tx: WriteTx, id: string, status: ConsumerStatus): Promise<Consumer> {
    const before = await this.get(id, tx.db);
    await tx.db.updateTable('consumers').set({ status, updated_at: tx.now }).where('id', '=', id).execute();
    const after = await this.get(id, tx.db);
    await recordChange(tx, 'consumer', id, { changes: { before, after } });
    return after;
  }
}

export class ApiKeyRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** `createdBy` is the unit of work's actor. */
  async insert(tx: WriteTx, key: Omit<NewApiKey, 'createdBy'>): Promise<ApiKeyRecord> {
    const row = this.#row(tx, key);
    await requireActiveConsumer(tx.db, key.consumerId);
    await tx.db.insertInto('api_keys').values(row).execute();
    const created = toApiKey(row);
    await recordChange(tx, 'api_key', row.id, { changes: { after: auditedKey(created) } });
    return created;
  }

  /** `db`: a unit of work's transaction, to read what it wrote. */
  async get(id: string, db: Db = this.db): Promise<ApiKeyRecord> {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('api key', id);
    return toApiKey(row);
  }

  async list(filter: { consumerId?: string } = {}): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
    return (await query.orderBy('created_at').orderBy('id').execute()).map(toApiKey);
  }

  /** One page in id order (keysetPage), of one consumer's keys or of all. */
  async page(filter: { consumerId?: string | undefined }, page: PageRequest): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
    return (await keysetPage(query, page).execute()).map(toApiKey);
  }

  /**
   * Keys in id order after `afterId`, with only what verification needs and scopes as raw JSON:
   * for loading a million keys in bounded pages without a million parses and unused strings.
   */
  async verificationPage(afterId: string, limit: number): Promise<VerificationRow[]> {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'consumer_id', 'hash', 'scopes', 'status', 'expires_at', 'created_at', 'replaced_by'])
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async listByIds(ids: readonly string[]): Promise<ApiKeyRecord[]> {
    const rows: ApiKeysTable[] = [];
    for (const chunk of chunks(ids)) rows.push(...(await this.db.selectFrom('api_keys').selectAll().where('id', 'in', chunk).execute()));
    return rows.map(toApiKey);
  }

  /** Revocation is immediate: the key stops on every node at the next change-feed refresh. */
  async revoke(tx: WriteTx, id: string): Promise<ApiKeyRecord> {
    const before = await this.get(id, tx.db);
    const result = await tx.db.updateTable('api_keys').set({ status: 'revoked', revoked_at: tx.now }).where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    const after = await this.get(id, tx.db);
    // Revoking a revoked key changes nothing.
    if (result.numUpdatedRows !== 0n) await recordChange(tx, 'api_key', id, { changes: { before: auditedKey(before), after: auditedKey(after) } });
    return after;
  }

  /**
   * Key-age enforcement: an active key's expiry is brought forward to `at` (never pushed back).
   * A conditional update, so of two nodes sweeping at once only one changes the key and writes the
   * audit record; undefined when there was nothing to change.
   */
  async expireByPolicy(tx: WriteTx, id: string, at: number): Promise<ApiKeyRecord | undefined> {
    const before = await this.get(id, tx.db);
    const result = await tx.db
      .updateTable('api_keys')
      .set({ expires_at: at })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    const after = await this.get(id, tx.db);
    await recordChange(tx, 'api_key', id, { changes: { before: auditedKey(before), after: auditedKey(after) } });
    return after;
  }

  /**
   * Rotation: the replacement is stored, and the old key keeps working until `graceUntil` (its
   * expiry is brought forward to the grace deadline, never pushed back).
   */
  async rotate(tx: WriteTx, oldId: string, replacement: Omit<NewApiKey, 'createdBy'>, graceUntil: number): Promise<{ old: ApiKeyRecord; replacement: ApiKeyRecord }> {
    const row = this.#row(tx, replacement);
    const old = await tx.db.selectFrom('api_keys').selectAll().where('id', '=', oldId).executeTakeFirst();
    if (!old) throw new NotFoundError('api key', oldId);
    await requireActiveConsumer(tx.db, replacement.consumerId);
    await tx.db.insertInto('api_keys').values(row).execute();
    // Claim the old key with a conditional update: of two concurrent rotations (or a rotation
    // racing a revocation) only one can match, and the loser's unit of work rolls back whole.
    const expiresAt = old.expires_at === null ? graceUntil : Math.min(old.expires_at, graceUntil);
    const claimed = await tx.db
      .updateTable('api_keys')
      .set({ replaced_by: row.id, expires_at: expiresAt })
      .where('id', '=', oldId)
      .where('status', '=', 'active')
      .where('replaced_by', 'is', null)
      .executeTakeFirst();
    if (claimed.numUpdatedRows !== 1n) throw new ConflictError(`api key ${oldId} is revoked or was rotated already, and cannot be rotated`);
    const replaced = await this.get(oldId, tx.db);
    const created = toApiKey(row);
    await recordChange(tx, 'api_key', row.id, { changes: { after: auditedKey(created) } });
    await recordChange(tx, 'api_key', oldId, { changes: { before: auditedKey(toApiKey(old)), after: auditedKey(replaced) } });
    return { old: replaced, replacement: created };
  }

  /**
   * Batched last-used times (one statement per key, one unit of work per batch). No change rows:
   * a flush every few seconds per node would flood the feed, and no node's snapshot holds
   * last-used times (the admin API reads them from the store).
   */
  async recordLastUsed(tx: WriteTx, lastUsed: ReadonlyMap<string, number>): Promise<void> {
    // In id order, so two nodes flushing at once take row locks in the same order (no deadlock).
    const ordered = [...lastUsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [id, at] of ordered) await tx.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  #row(tx: WriteTx, key: Omit<NewApiKey, 'createdBy'>): ApiKeysTable {
    const now = tx.now;
    return {
      id: key.id,
      consumer_id: key.consumerId,
      name: key.name,
      environment: key.environment,
      hash: key.hash,
      scopes: JSON.stringify(key.scopes),
      status: 'active',
      expires_at: key.expiresAt,
      created_by: describeActor(tx.actor),
      created_at: now,
      last_used_at: null,
      replaced_by: null,
      revoked_at: null,
    };
  }
}

