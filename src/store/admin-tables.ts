/**
 * The admin plane's tables (issue 18): admin users, custom roles, scoped admin tokens, one-time
 * codes (invitations, password resets) and the admin state (whether the bootstrap token still
 * works). Same conventions as tables.ts: times in epoch milliseconds, JSON columns as text.
 */

export type AdminUserStatus = 'invited' | 'active' | 'disabled';

export interface AdminUsersTable {
  /** `adu_` + 16 base62 characters. */
  id: string;
  /** Login name: unique, lower-case. */
  name: string;
  /** Lower-case; unique. */
  email: string;
  status: AdminUserStatus;
  /** JSON array of role names (built-in or custom). */
  roles: string;
  /** argon2id PHC string (admin/passwords.ts); null until the invitation is accepted. */
  password_hash: string | null;
  password_changed_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

/** A role made of permissions by an admin (the built-in roles live in code, admin/permissions.ts). */
export interface AdminRolesTable {
  name: string;
  description: string;
  /** JSON array of permission strings, each one of admin/permissions.ts. */
  permissions: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type AdminTokenStatus = 'active' | 'revoked';

/** A scoped admin token (`ptc_adm_…`): stored as a SHA-256 digest, shown once. */
export interface AdminTokensTable {
  /** Non-secret id: 8 base62 characters, also embedded in the token. */
  id: string;
  name: string;
  /** The admin user the token acts for: it never holds more than they do. */
  user_id: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  /** JSON array of permission strings. */
  permissions: string;
  status: AdminTokenStatus;
  expires_at: number;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  last_used_ip: string | null;
  /** Set on rotation: the token that replaces this one (this one works until expires_at). */
  replaced_by: string | null;
  revoked_at: number | null;
}

export type OneTimeCodePurpose = 'invitation' | 'password_reset';

/** An invitation or password-reset code: single use, expiring, stored as a SHA-256 digest. */
export interface AdminOneTimeCodesTable {
  id: string;
  user_id: string;
  purpose: OneTimeCodePurpose;
  hash: string;
  expires_at: number;
  created_by: string;
  created_at: number;
  used_at: number | null;
}

/** Admin-plane state as key → JSON value (`bootstrap_token`: admin/bootstrap-state.ts). */
export interface AdminStateTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface AdminTables {
  admin_users: AdminUsersTable;
  admin_roles: AdminRolesTable;
  admin_tokens: AdminTokensTable;
  admin_one_time_codes: AdminOneTimeCodesTable;
  admin_state: AdminStateTable;
}
