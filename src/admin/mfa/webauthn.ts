/**
 * Passkeys (W3C Web Authentication Level 3) as a second factor of admin users, through
 * `@simplewebauthn/server`: it builds the ceremonies' options and verifies attestations and
 * assertions (client data, RP id hash, flags, signature, sign counter); this module decides which
 * challenge and which credential an answer may use.
 *
 * - Every challenge is 256 random bits, issued for one user, one ceremony (registration, login,
 *   step-up) and, except at login, one session; it is kept in the store and taken (deleted) by the
 *   answer inside the answer's unit of work, so an assertion is good once (§13.4.3).
 * - An assertion names its credential; only a credential of the user who is signing in is looked
 *   up, so another user's passkey is refused before any signature is checked.
 * - The sign counter (§6.1.1): an assertion whose counter does not exceed the stored one (a cloned
 *   authenticator, or a replay) is refused by the library; the new value is stored with a
 *   compare-and-set so racing uses cannot both pass.
 * - User verification is preferred, not required: the passkey is the second factor, the password
 *   the first (a PIN or biometric on top adds, but is not needed for two factors).
 * - Attestation `none`: we do not restrict authenticator models, so we do not ask who made it.
 */
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse, type AuthenticationResponseJSON, type AuthenticatorTransport, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminWebAuthnConfig } from '../../config/admin-auth-schema.js';
import type { Logger } from '../../observability/logger.js';
import type { AdminWebAuthnRepository, ChallengePurpose, PasskeyRow } from '../../store/admin-webauthn.js';
import type { WriteTx } from '../../store/store.js';

/** How long a ceremony may take, from its options to its answer (ms); also the browser's timeout. */
export const CEREMONY_TIMEOUT_MS = 120_000;

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** Where an assertion is answered: at login (no session yet) or as a step-up of a session. */
export interface AssertionCeremony {
  readonly purpose: Extract<ChallengePurpose, 'login' | 'step-up'>;
  readonly sessionId: string | null;
}

export class WebAuthnService {
  constructor(
    readonly repo: AdminWebAuthnRepository,
    private readonly config: () => AdminWebAuthnConfig | undefined,
    private readonly clock: Clock,
    private readonly logger: () => Logger,
  ) {}

  get enabled(): boolean {
    return this.config() !== undefined;
  }

  /** Options for navigator.credentials.create (§5.4), for a logged-in user adding a passkey. */
  async registrationOptions(userId: string, userName: string, sessionId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const config = this.#require();
    const existing = await this.repo.list(userId);
    const options = await generateRegistrationOptions({
      rpName: config.rpName,
      rpID: config.rpId,
      userName,
      // The user handle (§5.4.3) is opaque and carries no personal data: our random user id.
      userID: new TextEncoder().encode(userId),
      challenge: randomBytes(32),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      // §5.4 excludeCredentials: the same authenticator is not registered twice.
      excludeCredentials: existing.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await this.#keep(options.challenge, userId, 'registration', sessionId);
    return options;
  }

  /**
   * Verifies an attestation (§7.1) against a challenge issued to this user and session, inside
   * `tx`, and stores the credential. 400 admin.invalid_request when it does not verify; 409 when
   * the credential is registered already.
   */
  async register(tx: WriteTx, userId: string, sessionId: string, name: string, response: RegistrationResponseJSON): Promise<PasskeyRow> {
    const config = this.#require();
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => this.repo.takeChallenge(tx, challenge, userId, 'registration', sessionId),
        expectedOrigin: config.origins,
        expectedRPID: config.rpId,
        requireUserVerification: false,
      });
    } catch (error) {
      throw new GatewayError('admin.invalid_request', { detail: 'The passkey could not be verified: start again with POST /v1/mfa/webauthn/registration/options.', internal: (error as Error).message });
    }
    if (!verified.verified) throw new GatewayError('admin.invalid_request', { detail: 'The passkey could not be verified.' });
    const { credential } = verified.registrationInfo;
    const taken = await tx.db.selectFrom('admin_webauthn_credentials').select('id').where('credential_id', '=', credential.id).executeTakeFirst();
    if (taken) throw new GatewayError('admin.conflict', { detail: 'This passkey is registered already.' });
    return this.repo.add(tx, {
      userId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      signCount: credential.counter,
      transports: credential.transports ?? response.response.transports ?? [],
      name,
    });
  }

  /** Options for navigator.credentials.get (§5.5) naming the user's passkeys; undefined when they have none. */
  async authenticationOptions(userId: string, ceremony: AssertionCeremony): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    const config = this.#require();
    const passkeys = await this.repo.list(userId);
    if (passkeys.length === 0) return undefined;
    const options = await generateAuthenticationOptions({
      rpID: config.rpId,
      challenge: randomBytes(32),
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: passkeys.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as AuthenticatorTransport[] })),
    });
    await this.#keep(options.challenge, userId, ceremony.purpose, ceremony.sessionId);
    return options;
  }

  /**
   * Checks an assertion (§7.2) inside `tx`: a passkey of this user, a challenge issued to this user
   * for this ceremony and not used yet, a valid signature and a growing sign counter. True once;
   * false for anything else (the caller answers the one login failure).
   */
  async verifyAssertion(tx: WriteTx, userId: string, ceremony: AssertionCeremony, response: AuthenticationResponseJSON): Promise<boolean> {
    const config = this.config();
    if (!config) return false;
    const row = await tx.db.selectFrom('admin_webauthn_credentials').selectAll().where('credential_id', '=', response.id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) return false;
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => this.repo.takeChallenge(tx, challenge, userId, ceremony.purpose, ceremony.sessionId),
        expectedOrigin: config.origins,
        expectedRPID: config.rpId,
        credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: Number(row.sign_count), transports: JSON.parse(row.transports) as AuthenticatorTransport[] },
        requireUserVerification: false,
      });
    } catch (error) {
      const message = (error as Error).message;
      // The library's words for §6.1.1's "the authenticator may be cloned": worth a warning of its own.
      if (/counter value/i.test(message)) this.logger().warn({ event: 'admin.passkey_counter_regressed', userId, passkeyId: row.id }, 'admin passkey: sign counter did not increase (a cloned authenticator or a replay)');
      return false;
    }
    if (!result.verified) return false;
    return this.repo.recordUse(tx, { ...row, sign_count: Number(row.sign_count) }, result.authenticationInfo.newCounter);
  }

  async #keep(challenge: string, userId: string, purpose: ChallengePurpose, sessionId: string | null): Promise<void> {
    const now = this.clock.now();
    await this.repo.putChallenge(challenge, userId, purpose, sessionId, now, now + CEREMONY_TIMEOUT_MS);
  }

  #require(): AdminWebAuthnConfig {
    const config = this.config();
    if (!config) throw new GatewayError('admin.mfa_unavailable', { detail: 'Passkeys need admin.webauthn (rpId, origins) in the config.' });
    return config;
  }
}
