/**
 * Rows of admin single sign-on (admin/sso/ decides; this module reads and writes). A sign-in in
 * progress is not a unit of work: it changes nothing another node follows and an anonymous click
 * on "sign in" is not an audit event; taking it is one DELETE, so of two racing callbacks with
 * the same state only one gets the row (single use, decided by the database). Linking a provider
 * identity happens inside the unit of work that provisions or signs in the user.
 */
import type { Kysely } from 'kysely';
import { recordChange, type WriteTx } from './store.js';
import type { AdminSsoIdentitiesTable, AdminSsoRequestsTable } from './admin-sso-tables.js';
import type { StoreTables } from './tables.js';

type Db = Kysely<StoreTables>;

export class AdminSsoRepository {
  constructor(private readonly db: Db) {}

  /** Records a sign-in in progress, and drops those past their end (there is no other sweeper). */
  async addRequest(row: AdminSsoRequestsTable): Promise<void> {
    await this.db.deleteFrom('admin_sso_requests').where('expires_at', '<=', row.created_at).execute();
    await this.db.insertInto('admin_sso_requests').values(row).execute();
  }

  /**
   * Takes (deletes) the live request with this id and purpose: the row, or undefined when it is
   * unknown, used or expired. `db`: a unit of work's transaction, so a rollback puts it back.
   */
  async takeRequest(id: string, purpose: AdminSsoRequestsTable['purpose'], now: number, db: Db = this.db): Promise<AdminSsoRequestsTable | undefined> {
    const row = await db.selectFrom('admin_sso_requests').selectAll().where('id', '=', id).where('purpose', '=', purpose).executeTakeFirst();
    if (!row) return undefined;
    const taken = await db.deleteFrom('admin_sso_requests').where('id', '=', id).executeTakeFirst();
    if (taken.numDeletedRows !== 1n || Number(row.expires_at) <= now) return undefined;
    return { ...row, created_at: Number(row.created_at), expires_at: Number(row.expires_at) };
  }

  findIdentity(issuer: string, subject: string, db: Db = this.db): Promise<AdminSsoIdentitiesTable | undefined> {
    return db.selectFrom('admin_sso_identities').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
  }

  /** Links a provider identity to a user (in the unit of work that provisioned the user). */
  async link(tx: WriteTx, identity: { issuer: string; subject: string; userId: string; email: string }): Promise<void> {
    await tx.db.insertInto('admin_sso_identities').values({ issuer: identity.issuer, subject: identity.subject, user_id: identity.userId, email: identity.email, created_at: tx.now, last_login_at: tx.now }).execute();
    // On record: which provider identity this user now answers to.
    await recordChange(tx, 'admin_user', identity.userId, { changes: { before: null, after: { ssoIssuer: identity.issuer, ssoSubject: identity.subject } } });
  }

  /** Notes a sign-in of a linked identity (its email may have changed at the provider). */
  async touch(tx: WriteTx, issuer: string, subject: string, email: string): Promise<void> {
    await tx.db.updateTable('admin_sso_identities').set({ email, last_login_at: tx.now }).where('issuer', '=', issuer).where('subject', '=', subject).execute();
  }

  /** Forgets the identities of a deleted user. */
  async unlinkUser(tx: WriteTx, userId: string): Promise<void> {
    await tx.db.deleteFrom('admin_sso_identities').where('user_id', '=', userId).execute();
  }
}
