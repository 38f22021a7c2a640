/** The tables of admin sign-in: sessions, TOTP factors and recovery codes (admin/sessions/, admin/mfa/). */

/**
 * A login session of an admin user on the admin listener (admin/sessions/). The id is the public
 * handle (listed, revoked, named in audit records); the bearer secret is a separate token stored
 * only as its SHA-256 digest, so a read of this table cannot be replayed as a cookie.
 */
export interface AdminSessionsTable {
  id: string;
  user_id: string;
  /** SHA-256 (hex) of the session token; the token itself is never stored. */
  token_hash: string;
  /** How the user proved who they are: `password`, `password+totp`, `password+recovery`, `sso`, `sso+amr`. */
  method: string;
  /** 1 when a second factor was used at login or later (step-up); 0 otherwise. */
  mfa: number;
  /** When a second factor was last presented (step-up freshness), or null. */
  mfa_at: number | null;
  /** 1: the user must enrol a second factor before anything else (grace period over). */
  enrol_only: number;
  created_at: number;
  last_seen_at: number;
  /** The absolute end (created_at + absolute timeout), whatever the activity. */
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  revoked_at: number | null;
}

/** A user's TOTP factor (RFC 6238): the seed only encrypted; the last accepted time step is the replay guard. */
export interface AdminTotpTable {
  user_id: string;
  /** AES-256-GCM sealed base32 seed (oauth/key-encryption.ts format), bound to the user id. */
  secret_encrypted: string;
  /** `pending` until the first code confirms the enrolment. */
  status: 'pending' | 'active';
  /** The newest time step a code was accepted for; the same or an earlier one is refused (RFC 6238 §5.2). */
  last_step: number | null;
  created_at: number;
  confirmed_at: number | null;
}

/** Single-use recovery codes, stored as SHA-256 digests (the codes carry 80 random bits). */
export interface AdminRecoveryCodesTable {
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface AdminAuthTables {
  admin_sessions: AdminSessionsTable;
  admin_totp: AdminTotpTable;
  admin_recovery_codes: AdminRecoveryCodesTable;
}
