/**
 * Scoped admin tokens and one-time codes (invitations, password resets) in the store (issue 18).
 * Only SHA-256 digests of the secrets are stored: both carry ~143 random bits, so a fast digest
 * is enough (nothing to brute-force) and lets a lookup be a constant-time compare.
 */
import type { Kysely } from 'kysely';
import type { AdminOneTimeCodesTable, AdminTokensTable, OneTimeCodePurpose } from './admin-tables.js';
import { chunks, keysetPage, NotFoundError, type Db, type PageRequest } from './repositories.js';
import { recordChange, type WriteTx } from './store.js';
import type { StoreTables } from './tables.js';
import { describeActor } from '../core/actor.js';

export interface AdminTokenRecord {
  id: string;
  name: string;
  userId: string;
  hash: string;
  permissions: string[];
  status: 'active' | 'revoked';
  expiresAt: number;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  replacedBy: string | null;
  revokedAt: number | null;
}

export type NewAdminToken = Pick<AdminTokenRecord, 'id' | 'name' | 'userId' | 'hash' | 'permissions' | 'expiresAt'>;

const num = (value: number | null) => (value === null ? null : Number(value));

const toToken = (row: AdminTokensTable): AdminTokenRecord => ({
  id: row.id,
  name: row.name,
  userId: row.user_id,
  hash: row.hash,
  permissions: JSON.parse(row.permissions) as string[],
  status: row.status,
  expiresAt: Number(row.expires_at),
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  lastUsedAt: num(row.last_used_at),
  lastUsedIp: row.last_used_ip,
  replacedBy: row.replaced_by,
  revokedAt: num(row.revoked_at),
});

export class AdminTokenRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async insert(tx: WriteTx, token: NewAdminToken): Promise<AdminTokenRecord> {
    const row: AdminTokensTable = {
      id: token.id,
      name: token.name,
      user_id: token.userId,
      hash: token.hash,
      permissions: JSON.stringify(token.permissions),
      status: 'active',
      expires_at: token.expiresAt,
      created_by: describeActor(tx.actor),
      created_at: tx.now,
      last_used_at: null,
      last_used_ip: null,
      replaced_by: null,
      revoked_at: null,
    };
    await tx.db.insertInto('admin_tokens').values(row).execute();
    await recordChange(tx, 'admin_token', row.id, { changes: { before: null, after: toToken(row) } });
    return toToken(row);
  }

  async find(id: string, db: Db = this.db): Promise<AdminTokenRecord | undefined> {
    const row = await db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toToken(row);
  }

  async get(id: string, db: Db = this.db): Promise<AdminTokenRecord> {
    const token = await this.find(id, db);
    if (!token) throw new NotFoundError('admin token', id);
    return token;
  }

  async page(filter: { userId?: string | undefined }, page: PageRequest): Promise<AdminTokenRecord[]> {
    let query = this.db.selectFrom('admin_tokens').selectAll();
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    return (await keysetPage(query, page).execute()).map(toToken);
  }

  /** The old token keeps working until `graceUntil` (or its own expiry, if sooner), then the replacement alone. */
  async rotate(tx: WriteTx, oldId: string, replacement: NewAdminToken, graceUntil: number): Promise<{ old: AdminTokenRecord; replacement: AdminTokenRecord }> {
    const old = await this.get(oldId, tx.db);
    const created = await this.insert(tx, replacement);
    await tx.db.updateTable('admin_tokens').set({ replaced_by: created.id, expires_at: Math.min(old.expiresAt, graceUntil) }).where('id', '=', oldId).execute();
    const updated = await this.get(oldId, tx.db);
    await recordChange(tx, 'admin_token', oldId, { changes: { before: old, after: updated } });
    return { old: updated, replacement: created };
  }

  async revoke(tx: WriteTx, id: string): Promise<AdminTokenRecord> {
    const before = await this.get(id, tx.db);
    const result = await tx.db.updateTable('admin_tokens').set({ status: 'revoked', revoked_at: tx.now }).where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    const after = await this.get(id, tx.db);
    if (result.numUpdatedRows > 0n) await recordChange(tx, 'admin_token', id, { changes: { before, after } });
    return after;
  }

  /** Batched last-used times and addresses (one unit of work per flush, not a write per request). */
  async recordLastUsed(tx: WriteTx, used: ReadonlyMap<string, { at: number; ip: string }>): Promise<void> {
    // In id order, so two nodes flushing at once take row locks in the same order.
    const ordered = [...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [id, { at, ip }] of ordered) await tx.db.updateTable('admin_tokens').set({ last_used_at: at, last_used_ip: ip }).where('id', '=', id).execute();
  }

  async listByIds(ids: readonly string[]): Promise<AdminTokenRecord[]> {
    const rows: AdminTokensTable[] = [];
    for (const chunk of chunks(ids)) rows.push(...(await this.db.selectFrom('admin_tokens').selectAll().where('id', 'in', chunk).execute()));
    return rows.map(toToken);
  }
}

export interface OneTimeCodeRecord {
  id: string;
  userId: string;
  purpose: OneTimeCodePurpose;
  hash: string;
  expiresAt: number;
  usedAt: number | null;
}

const toCode = (row: AdminOneTimeCodesTable): OneTimeCodeRecord => ({ id: row.id, userId: row.user_id, purpose: row.purpose, hash: row.hash, expiresAt: Number(row.expires_at), usedAt: num(row.used_at) });

export class OneTimeCodeRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** A new code for the user; earlier unused codes of the same purpose stop working. */
  async issue(tx: WriteTx, code: { id: string; userId: string; purpose: OneTimeCodePurpose; hash: string; expiresAt: number }): Promise<void> {
    await tx.db.updateTable('admin_one_time_codes').set({ used_at: tx.now }).where('user_id', '=', code.userId).where('purpose', '=', code.purpose).where('used_at', 'is', null).execute();
    await tx.db
      .insertInto('admin_one_time_codes')
      .values({ id: code.id, user_id: code.userId, purpose: code.purpose, hash: code.hash, expires_at: code.expiresAt, created_by: describeActor(tx.actor), created_at: tx.now, used_at: null })
      .execute();
    // The code itself is never in the record: which kind was issued, and until when.
    await recordChange(tx, 'admin_user', code.userId, { detail: { issued: code.purpose, codeId: code.id, expiresAt: code.expiresAt } });
  }

  async find(id: string, db: Db = this.db): Promise<OneTimeCodeRecord | undefined> {
    const row = await db.selectFrom('admin_one_time_codes').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCode(row);
  }

  /** Marks the code used; false when it was used already (a second use racing the first). */
  async consume(tx: WriteTx, id: string): Promise<boolean> {
    const result = await tx.db.updateTable('admin_one_time_codes').set({ used_at: tx.now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
