/**
 * What login needs to know of admin users (the users module of issue 18 owns them: table,
 * argon2id passwords, roles and their permissions). Kept to this seam so sessions, MFA and SSO
 * depend on an account's id, status and permissions, never on how users are stored.
 */

export interface AdminAccount {
  readonly id: string;
  readonly name: string;
  /** Only `active` accounts log in; a session of an account no longer active stops working. */
  readonly status: string;
  readonly roles: readonly string[];
  /** The permissions its roles grant, resolved (what the session's principal holds). */
  readonly permissions: readonly string[];
  /** When it was created, ms: the MFA grace period runs from here. */
  readonly createdAt: number;
}

export interface AdminAccounts {
  /**
   * The active account with this name (or email) and password, else undefined; an unknown name
   * must take as long as a wrong password (verify against a dummy hash), so timing tells nothing.
   */
  verifyPassword(name: string, password: string): Promise<AdminAccount | undefined>;
  find(id: string): Promise<AdminAccount | undefined>;
}
