/**
 * The rows of admin users' second factors: one TOTP seed per user (sealed, never plaintext) with
 * its replay guard, and their recovery codes (digests only). The checks themselves live in
 * admin/mfa/; what must be atomic is here: accepting a time step and using a recovery code are
 * each one conditional UPDATE, so two requests racing with the same code cannot both win.
 */
import type { Kysely, Selectable } from 'kysely';
import { recordChange, type WriteTx } from './store.js';
import type { AdminTotpTable } from './admin-auth-tables.js';
import type { StoreTables } from './tables.js';

export type AdminTotpRow = Selectable<AdminTotpTable>;

export class AdminMfaRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  totp(userId: string): Promise<AdminTotpRow | undefined> {
    return this.db.selectFrom('admin_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** Starts (or restarts) an enrolment: a pending seed replaces a pending one, never an active one. */
  async putPendingTotp(tx: WriteTx, userId: string, secretEncrypted: string): Promise<boolean> {
    const existing = await tx.db.selectFrom('admin_totp').select('status').where('user_id', '=', userId).executeTakeFirst();
    if (existing?.status === 'active') return false;
    if (existing) await tx.db.deleteFrom('admin_totp').where('user_id', '=', userId).execute();
    await tx.db.insertInto('admin_totp').values({ user_id: userId, secret_encrypted: secretEncrypted, status: 'pending', last_step: null, created_at: tx.now, confirmed_at: null }).execute();
    await recordChange(tx, 'admin_mfa', userId);
    return true;
  }

  /**
   * The replay guard (RFC 6238 §5.2: a verifier must not accept a second OTP of the same step):
   * takes `step` only if it is newer than the last accepted one, in one statement; false means the
   * code (or an earlier one) was used already.
   */
  async acceptStep(tx: WriteTx, userId: string, step: number): Promise<boolean> {
    const result = await tx.db
      .updateTable('admin_totp')
      .set({ last_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async activateTotp(tx: WriteTx, userId: string): Promise<void> {
    await tx.db.updateTable('admin_totp').set({ status: 'active', confirmed_at: tx.now }).where('user_id', '=', userId).execute();
    await recordChange(tx, 'admin_mfa', userId);
  }

  /** Replaces every recovery code of the user with these digests. */
  async replaceRecoveryCodes(tx: WriteTx, userId: string, hashes: readonly string[]): Promise<void> {
    await tx.db.deleteFrom('admin_recovery_codes').where('user_id', '=', userId).execute();
    await tx.db.insertInto('admin_recovery_codes').values(hashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: tx.now, used_at: null }))).execute();
    await recordChange(tx, 'admin_mfa', userId);
  }

  /** Uses one recovery code: true once, false for an unknown or used code. */
  async useRecoveryCode(tx: WriteTx, userId: string, hash: string): Promise<boolean> {
    const result = await tx.db.updateTable('admin_recovery_codes').set({ used_at: tx.now }).where('user_id', '=', userId).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
    if (result.numUpdatedRows !== 1n) return false;
    await recordChange(tx, 'admin_mfa', userId);
    return true;
  }

  async unusedRecoveryCodes(userId: string): Promise<number> {
    const row = await this.db.selectFrom('admin_recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Removes every factor of the user (an MFA reset by another admin). */
  async removeAll(tx: WriteTx, userId: string): Promise<void> {
    await tx.db.deleteFrom('admin_totp').where('user_id', '=', userId).execute();
    await tx.db.deleteFrom('admin_recovery_codes').where('user_id', '=', userId).execute();
    await recordChange(tx, 'admin_mfa', userId);
  }
}
