/** The tables of admin single sign-on (admin/sso/): sign-ins in progress and linked provider identities. */

/**
 * A sign-in in progress (OpenID Connect authorization code flow), single use and short-lived:
 * `login` rows are the state of a redirect to the provider, `mfa` rows the second-factor step
 * after a provider sign-in that asserted no MFA. Only digests are kept: the row is found by the
 * SHA-256 of its secret (the `state` parameter, or the MFA step's token), and the browser that
 * started the sign-in is recognised by the SHA-256 of its binding cookie. The PKCE verifier and
 * the nonce are derived from that cookie's secret, so a read of this table completes no sign-in.
 */
export interface AdminSsoRequestsTable {
  /** SHA-256 (hex) of the state parameter (`login`) or of the MFA step's token (`mfa`). */
  id: string;
  purpose: 'login' | 'mfa';
  /** SHA-256 (hex) of the browser binding secret (`login`); null for `mfa`. */
  binding_hash: string | null;
  /** `mfa`: the admin user who signed in at the provider; null for `login`. */
  user_id: string | null;
  created_at: number;
  expires_at: number;
}

/** A provider identity (issuer and subject, OpenID Connect Core §2: unique together) linked to an admin user. */
export interface AdminSsoIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  /** The email the provider gave at the last sign-in. */
  email: string;
  created_at: number;
  last_login_at: number;
}

export interface AdminSsoTables {
  admin_sso_requests: AdminSsoRequestsTable;
  admin_sso_identities: AdminSsoIdentitiesTable;
}
