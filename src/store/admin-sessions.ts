/**
 * The admin sessions table (admin/sessions/ decides what a session may do; this module only reads
 * and writes rows). Creating and revoking sessions are units of work with a change row each (the
 * audit trail sees every login and logout); the idle-time touch is not, since it changes nothing
 * another node follows and would put one audit record on every click.
 */
import type { Kysely, Selectable } from 'kysely';
import { newAdminSessionId } from './ids.js';
import { recordChange, type WriteTx } from './store.js';
import type { AdminSessionsTable } from './admin-auth-tables.js';
import type { StoreTables } from './tables.js';

export type AdminSessionRow = Selectable<AdminSessionsTable>;

export interface NewAdminSession {
  readonly userId: string;
  readonly tokenHash: string;
  readonly method: string;
  readonly mfa: boolean;
  /** When the second factor was presented (ms); default: now, when `mfa`. */
  readonly mfaAt?: number | undefined;
  readonly enrolOnly: boolean;
  readonly expiresAt: number;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

export class AdminSessionRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async create(tx: WriteTx, session: NewAdminSession): Promise<AdminSessionRow> {
    const row: AdminSessionRow = {
      id: newAdminSessionId(),
      user_id: session.userId,
      token_hash: session.tokenHash,
      method: session.method,
      mfa: session.mfa ? 1 : 0,
      mfa_at: session.mfa ? (session.mfaAt ?? tx.now) : null,
      enrol_only: session.enrolOnly ? 1 : 0,
      created_at: tx.now,
      last_seen_at: tx.now,
      expires_at: session.expiresAt,
      ip: session.ip ?? null,
      user_agent: session.userAgent?.slice(0, 256) ?? null,
      revoked_at: null,
    };
    await tx.db.insertInto('admin_sessions').values(row).execute();
    await recordChange(tx, 'admin_session', row.id);
    return row;
  }

  /** `db`: a unit of work's transaction when called inside one (SQLite has one connection). */
  findByTokenHash(tokenHash: string, db: Kysely<StoreTables> = this.db): Promise<AdminSessionRow | undefined> {
    return db.selectFrom('admin_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  find(id: string, db: Kysely<StoreTables> = this.db): Promise<AdminSessionRow | undefined> {
    return db.selectFrom('admin_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The user's sessions that are not revoked and not past their absolute end, newest first. */
  listActive(userId: string, now: number): Promise<AdminSessionRow[]> {
    return this.db.selectFrom('admin_sessions').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
  }

  /** Moves the idle clock; only while the session is live (a revoked row stays revoked). */
  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('admin_sessions').set({ last_seen_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  /** Revokes one session of the user; false when it is not theirs or already revoked. */
  async revoke(tx: WriteTx, id: string, userId?: string): Promise<boolean> {
    let query = tx.db.updateTable('admin_sessions').set({ revoked_at: tx.now }).where('id', '=', id).where('revoked_at', 'is', null);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const result = await query.executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await recordChange(tx, 'admin_session', id);
    return true;
  }

  /** Revokes every live session of the user (but `except`); returns how many. */
  async revokeAll(tx: WriteTx, userId: string, except?: string): Promise<number> {
    let query = tx.db.selectFrom('admin_sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', tx.now);
    if (except !== undefined) query = query.where('id', '!=', except);
    const ids = (await query.execute()).map((row) => row.id);
    for (const id of ids) await this.revoke(tx, id);
    return ids.length;
  }

  /** Marks a fresh second factor (step-up) on a live session. */
  async markSecondFactor(tx: WriteTx, id: string): Promise<void> {
    await tx.db.updateTable('admin_sessions').set({ mfa: 1, mfa_at: tx.now, enrol_only: 0 }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    await recordChange(tx, 'admin_session', id);
  }
}
