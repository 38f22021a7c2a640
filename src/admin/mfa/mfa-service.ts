/**
 * Second factors of admin users: TOTP enrolment (pending until a first code confirms it), the
 * check of a code or recovery code inside a unit of work (so accepting the step or using the
 * recovery code commits with the session it opens), recovery-code regeneration, and the reset by
 * another admin. TOTP seeds are sealed with AES-256-GCM bound to the user id before they reach
 * the store; the key comes from `admin.mfa.seedKey` until the vault provides one.
 */
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import { KeyEncryption } from '../../oauth/key-encryption.js';
import type { AdminMfaRepository } from '../../store/admin-mfa.js';
import type { Store, WriteTx } from '../../store/store.js';
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import { matchTotpStep, newTotpSeed, totpQrDataUrl, totpUri } from './totp.js';
import type { AssertionCeremony, AuthenticationResponseJSON, WebAuthnService } from './webauthn.js';

const SEED_INFO = 'portcullis admin totp seed v1';

/** What a user presents as their second factor. */
export interface SecondFactor {
  readonly code?: string | undefined;
  readonly recoveryCode?: string | undefined;
  /** A passkey's assertion (PublicKeyCredential.toJSON() of navigator.credentials.get). */
  readonly webauthn?: AuthenticationResponseJSON | undefined;
}

/** True when the caller presented some second factor (which one is checked later). */
export function presentsFactor(factor: SecondFactor): boolean {
  return factor.code !== undefined || factor.recoveryCode !== undefined || factor.webauthn !== undefined;
}

export type FactorKind = 'totp' | 'recovery' | 'webauthn';

export interface TotpEnrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  readonly qrCodeDataUrl: string;
}

export class MfaService {
  readonly #sealer: KeyEncryption | undefined;

  constructor(
    private readonly store: Store,
    private readonly repo: AdminMfaRepository,
    private readonly options: { seedKey: string | undefined; issuer: string; clock: Clock },
    readonly webauthn: WebAuthnService,
  ) {
    this.#sealer = options.seedKey === undefined ? undefined : new KeyEncryption(options.seedKey, SEED_INFO);
  }

  /** True when the user has a confirmed TOTP factor or a passkey. */
  async hasFactor(userId: string): Promise<boolean> {
    return (await this.repo.totp(userId))?.status === 'active' || (await this.webauthn.repo.count(userId)) > 0;
  }

  async status(userId: string): Promise<{ totp: 'none' | 'pending' | 'active'; passkeys: number; recoveryCodesLeft: number }> {
    const row = await this.repo.totp(userId);
    return { totp: row?.status ?? 'none', passkeys: await this.webauthn.repo.count(userId), recoveryCodesLeft: await this.repo.unusedRecoveryCodes(userId) };
  }

  /**
   * Recovery codes for a user's first factor, in its unit of work: 10 new ones when the user had
   * none (shown once), else [] (the codes they hold stay valid; regenerate them on purpose).
   */
  async firstFactorRecoveryCodes(tx: WriteTx, userId: string): Promise<string[]> {
    const held = await tx.db.selectFrom('admin_recovery_codes').select('user_id').where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst();
    if (held) return [];
    const codes = newRecoveryCodes();
    await this.repo.replaceRecoveryCodes(tx, userId, codes.map(recoveryCodeHash));
    return codes;
  }

  /** Starts an enrolment; 409 when the user has an active factor already (reset it first). */
  async startTotp(actor: Actor, userId: string, accountName: string): Promise<TotpEnrolment> {
    const sealer = this.#requireSealer();
    const secret = newTotpSeed();
    const stored = await this.store.write(actor, 'admin_mfa.enrol', (tx) => this.repo.putPendingTotp(tx, userId, sealer.encrypt(secret, userId)));
    if (!stored) throw new GatewayError('admin.conflict', { detail: 'A second factor is enrolled already; a security admin must reset it before a new one.' });
    const otpauthUri = totpUri(secret, this.options.issuer, accountName);
    return { secret, otpauthUri, qrCodeDataUrl: await totpQrDataUrl(otpauthUri) };
  }

  /**
   * Confirms a pending enrolment with a first code; returns the recovery codes of a first factor
   * (shown once) and what `alsoInTx` returned (the caller's session rotation, same unit of work).
   */
  async confirmTotp<R>(actor: Actor, userId: string, code: string, alsoInTx: (tx: WriteTx) => Promise<R>): Promise<{ recoveryCodes: string[]; also: R }> {
    const row = await this.repo.totp(userId);
    if (row?.status !== 'pending') throw new GatewayError('admin.conflict', { detail: 'No enrolment is pending: start one with POST /v1/mfa/totp.' });
    return this.store.write(actor, 'admin_mfa.confirm', async (tx) => {
      if (!(await this.#acceptTotp(tx, userId, code))) throw new GatewayError('admin.invalid_request', { detail: 'The code does not match: check the authenticator app and the clock of its device.' });
      await this.repo.activateTotp(tx, userId);
      return { recoveryCodes: await this.firstFactorRecoveryCodes(tx, userId), also: await alsoInTx(tx) };
    });
  }

  /**
   * Checks a second factor inside `tx`: a TOTP code whose step is newer than the last accepted
   * one, an unused recovery code, or a passkey's assertion answering a challenge issued for
   * `ceremony`. Returns how it was proved, or undefined (the caller rolls the unit back).
   */
  async verify(tx: WriteTx, userId: string, factor: SecondFactor, ceremony: AssertionCeremony): Promise<FactorKind | undefined> {
    if (factor.code !== undefined && (await this.#acceptTotp(tx, userId, factor.code))) return 'totp';
    if (factor.recoveryCode !== undefined && (await this.repo.useRecoveryCode(tx, userId, recoveryCodeHash(factor.recoveryCode)))) return 'recovery';
    if (factor.webauthn !== undefined && (await this.webauthn.verifyAssertion(tx, userId, ceremony, factor.webauthn))) return 'webauthn';
    return undefined;
  }

  /** Replaces every recovery code of the user; returns the new ones (shown once). */
  async regenerateRecoveryCodes(actor: Actor, userId: string): Promise<string[]> {
    if (!(await this.hasFactor(userId))) throw new GatewayError('admin.conflict', { detail: 'Enrol a second factor first.' });
    const codes = newRecoveryCodes();
    await this.store.write(actor, 'admin_mfa.recovery_codes_regenerate', (tx) => this.repo.replaceRecoveryCodes(tx, userId, codes.map(recoveryCodeHash)));
    return codes;
  }

  /** Removes every factor of the user (in the caller's unit of work, with its sessions' revocation). */
  async reset(tx: WriteTx, userId: string): Promise<void> {
    await this.webauthn.repo.removeAll(tx, userId);
    await this.repo.removeAll(tx, userId);
  }

  async #acceptTotp(tx: WriteTx, userId: string, code: string): Promise<boolean> {
    const row = await tx.db.selectFrom('admin_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row || !this.#sealer) return false;
    const step = matchTotpStep(this.#sealer.decrypt(row.secret_encrypted, userId), code, tx.now);
    // The replay guard: the same step, or one before the last accepted, is refused (RFC 6238 §5.2).
    return step !== undefined && this.repo.acceptStep(tx, userId, step);
  }

  #requireSealer(): KeyEncryption {
    if (!this.#sealer) throw new GatewayError('admin.mfa_unavailable', { detail: 'TOTP enrolment needs admin.mfa.seedKey in the config.' });
    return this.#sealer;
  }
}
