/**
 * The rows of admin users' passkeys and of the challenges their ceremonies answer (the checks live
 * in admin/mfa/webauthn.ts). What must be atomic is here: taking a challenge is one conditional
 * DELETE and moving a sign counter one conditional UPDATE, so two requests racing with the same
 * assertion cannot both win.
 */
import type { Kysely, Selectable } from 'kysely';
import { newPasskeyId } from './ids.js';
import { recordChange, type WriteTx } from './store.js';
import type { AdminWebAuthnCredentialsTable } from './admin-webauthn-tables.js';
import type { StoreTables } from './tables.js';

export type PasskeyRow = Selectable<AdminWebAuthnCredentialsTable>;

export interface NewPasskey {
  readonly userId: string;
  readonly credentialId: string;
  readonly publicKey: string;
  readonly signCount: number;
  readonly transports: readonly string[];
  readonly name: string;
}

export type ChallengePurpose = 'registration' | 'login' | 'step-up';

/** What an audit record says of a passkey: never its public key (not secret, but noise). */
const auditView = (row: PasskeyRow) => ({ id: row.id, userId: row.user_id, name: row.name, credentialId: row.credential_id, transports: JSON.parse(row.transports) as string[] });

export class AdminWebAuthnRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** `db`: a unit of work's transaction when called inside one (SQLite has one connection). */
  list(userId: string, db: Kysely<StoreTables> = this.db): Promise<PasskeyRow[]> {
    return db.selectFrom('admin_webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  async count(userId: string): Promise<number> {
    const row = await this.db.selectFrom('admin_webauthn_credentials').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async add(tx: WriteTx, passkey: NewPasskey): Promise<PasskeyRow> {
    const row: PasskeyRow = {
      id: newPasskeyId(),
      user_id: passkey.userId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      sign_count: passkey.signCount,
      transports: JSON.stringify(passkey.transports),
      name: passkey.name,
      created_at: tx.now,
      last_used_at: null,
    };
    await tx.db.insertInto('admin_webauthn_credentials').values(row).execute();
    await recordChange(tx, 'admin_passkey', row.id, { changes: { before: null, after: auditView(row) } });
    return row;
  }

  /** Removes one passkey of the user; false when it is not theirs. */
  async remove(tx: WriteTx, userId: string, id: string): Promise<boolean> {
    const row = await tx.db.selectFrom('admin_webauthn_credentials').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) return false;
    await tx.db.deleteFrom('admin_webauthn_credentials').where('id', '=', id).execute();
    await recordChange(tx, 'admin_passkey', id, { changes: { before: auditView(row), after: null } });
    return true;
  }

  /** Removes every passkey of the user (an MFA reset by another admin). */
  async removeAll(tx: WriteTx, userId: string): Promise<void> {
    for (const row of await this.list(userId, tx.db)) await this.remove(tx, userId, row.id);
  }

  /**
   * Records a verified assertion: the counter moves only from the value the check was made
   * against, so of two racing uses of one assertion the second finds it moved and loses.
   */
  async recordUse(tx: WriteTx, row: PasskeyRow, newSignCount: number): Promise<boolean> {
    const result = await tx.db
      .updateTable('admin_webauthn_credentials')
      .set({ sign_count: newSignCount, last_used_at: tx.now })
      .where('id', '=', row.id)
      .where('sign_count', '=', row.sign_count)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /**
   * Keeps a challenge until `expiresAt` (and drops the expired ones of everybody). Not a unit of
   * work: a challenge changes no entity another node follows, and the ceremony it starts is
   * audited when it completes (or fails).
   */
  async putChallenge(challenge: string, userId: string, purpose: ChallengePurpose, sessionId: string | null, now: number, expiresAt: number): Promise<void> {
    await this.db.deleteFrom('admin_webauthn_challenges').where('expires_at', '<=', now).execute();
    await this.db.insertInto('admin_webauthn_challenges').values({ challenge, user_id: userId, purpose, session_id: sessionId, expires_at: expiresAt }).execute();
  }

  /** Takes (deletes) a live challenge issued to this user (and session) for this ceremony: true once. */
  async takeChallenge(tx: WriteTx, challenge: string, userId: string, purpose: ChallengePurpose, sessionId: string | null): Promise<boolean> {
    let query = tx.db.deleteFrom('admin_webauthn_challenges').where('challenge', '=', challenge).where('user_id', '=', userId).where('purpose', '=', purpose).where('expires_at', '>', tx.now);
    query = sessionId === null ? query.where('session_id', 'is', null) : query.where('session_id', '=', sessionId);
    const result = await query.executeTakeFirst();
    return result.numDeletedRows === 1n;
  }
}
