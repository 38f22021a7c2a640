/**
 * The authorization server's signing keys: one key signs new tokens; it is replaced every
 * `signingKeyRotationDays` (checked every minute on every node; the store decides, so only one
 * node rotates) or on demand. A new key is published PUBLISH_AHEAD_MS before it signs (the key
 * it replaces signs until then), so JWKS caches hold it before its first token. A replaced key
 * stays in the JWKS until every token it signed has expired (token lifetime plus clock skew), so
 * rotation never breaks a token in flight. Private
 * keys are generated here and stored only sealed (by the vault, or oauth.signingKeySecret: signing-key-sealer.ts).
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { SYSTEM_ACTOR, type Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { randomBase62 } from '../store/ids.js';
import type { SigningKeyRecord, SigningKeyRepository } from '../store/oauth-repositories.js';
import type { PageRequest } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import type { SigningKeySealer } from './signing-key-sealer.js';
import { PUBLISH_AHEAD_MS, type OAuthState } from './oauth-state.js';

const DAY_MS = 86400000;
const CHECK_INTERVAL_MS = 60000;
/** Verifiers may run this far behind: a retired key stays published this much longer. */
const PUBLISH_SKEW_MS = 5 * 60000;

export interface SigningKeyView {
  kid: string;
  algorithm: string;
  status: 'active' | 'retired';
  published: boolean;
  createdAt: string;
  retiredAt: string | null;
  publishUntil: string | null;
}

export class SigningKeyService {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly repository: SigningKeyRepository,
    private readonly state: OAuthState,
    private readonly sealer: SigningKeySealer,
    private readonly options: { algorithm: string; rotationDays: number; tokenTtlSeconds: number },
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the first key, or the next one when the active key is due (or `force`), as `actor`
   * (the gateway's schedule by default; an operator for a forced rotation).
   */
  async rotateIfDue(force = false, actor: Actor = SYSTEM_ACTOR): Promise<SigningKeyRecord | undefined> {
    // The replaced key may sign for PUBLISH_AHEAD_MS more (until the new one is in every cache):
    // it stays published until the last of those tokens has expired.
    const publishForMs = PUBLISH_AHEAD_MS + this.options.tokenTtlSeconds * 1000 + PUBLISH_SKEW_MS;
    // A forced key is made before the transaction: generating an RSA key must not hold the writers' lock.
    const made = force ? await this.#generate() : undefined;
    const next = () => (made ? Promise.resolve(made) : this.#generate());
    const created = await this.store.write(actor, 'signing_key.rotate', (tx) => this.repository.rotateIfDue(tx, this.options.rotationDays * DAY_MS, publishForMs, force, next, this.options.algorithm));
    if (created) {
      this.logger.info({ event: 'oauth.signing_key_rotated', kid: created.id, algorithm: created.algorithm, forced: force }, 'new OAuth signing key active');
      await this.state.refresh();
    }
    return created;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.rotateIfDue().catch((error: unknown) => this.logger.error({ event: 'oauth.signing_key_rotation_failed', err: error }, 'scheduled signing key rotation failed; the current key keeps signing'));
    }, CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async list(): Promise<SigningKeyView[]> {
    return (await this.repository.list()).map((key) => this.view(key));
  }

  /** One page of keys in id order (the admin API's cursor pagination). */
  async page(page: PageRequest): Promise<SigningKeyView[]> {
    return (await this.repository.page(page)).map((key) => this.view(key));
  }

  view(key: SigningKeyRecord): SigningKeyView {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      kid: key.id,
      algorithm: key.algorithm,
      status: key.status,
      published: key.status === 'active' || (key.publishUntil !== null && key.publishUntil > this.clock.now()),
      createdAt: iso(key.createdAt)!,
      retiredAt: iso(key.retiredAt),
      publishUntil: iso(key.publishUntil),
    };
  }

  async #generate(): Promise<{ id: string; algorithm: string; publicJwk: JWK; privateJwkEncrypted: string }> {
    const algorithm = this.options.algorithm;
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true, ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const id = `sk_${randomBase62(16)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg: algorithm, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid: id, alg: algorithm };
    return { id, algorithm, publicJwk, privateJwkEncrypted: await this.sealer.seal(JSON.stringify(privateJwk), id) };
  }
}
