/** The tables of admin users' WebAuthn credentials (passkeys) and their pending ceremony challenges (admin/mfa/webauthn.ts). */

/**
 * A passkey registered as a second factor (W3C WebAuthn Level 3 §7.1 step 27: the credential id,
 * its public key and sign counter are what the relying party keeps). Nothing here is secret: the
 * private key never leaves the authenticator.
 */
export interface AdminWebAuthnCredentialsTable {
  /** Our handle (`wak_…`): listed, removed, named in audit records. */
  id: string;
  user_id: string;
  /** The credential id the authenticator chose (base64url), unique across users. */
  credential_id: string;
  /** The COSE public key (RFC 9052 §7), base64url. */
  public_key: string;
  /** The last signature counter seen (§6.1.1): an assertion that does not increase it is refused. */
  sign_count: number;
  /** JSON array of AuthenticatorTransport hints (`usb`, `internal`, …) for allowCredentials. */
  transports: string;
  /** A label the user gave it ("laptop", "YubiKey 5C"). */
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/**
 * A challenge handed out by an options route and not yet answered (§13.4.3: single use, so an
 * assertion can never be replayed). Kept in the store, not in memory, so the options and the
 * answer may reach different nodes.
 */
export interface AdminWebAuthnChallengesTable {
  /** The challenge itself (base64url, 256 random bits). */
  challenge: string;
  user_id: string;
  /** `registration`, `login` or `step-up`: a challenge answers only the ceremony it was made for. */
  purpose: string;
  /** The session a registration or step-up challenge was issued to; null for login. */
  session_id: string | null;
  expires_at: number;
}

export interface AdminWebAuthnTables {
  admin_webauthn_credentials: AdminWebAuthnCredentialsTable;
  admin_webauthn_challenges: AdminWebAuthnChallengesTable;
}
