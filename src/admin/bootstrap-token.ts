/**
 * The bootstrap token (`admin.token`): how the first owner is created. Once an owner has set their
 * password it is disabled automatically (the state is in the store, so every node and every restart
 * agrees); `portcullis admin break-glass` re-enables it from the host for a limited time (issue 18
 * §1). `admin.bootstrapToken.keepEnabled: true` keeps it working for automation (and preflight
 * flags that).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../core/actor.js';
import type { SecretValue } from '../config/secret.js';
import type { Logger } from '../observability/logger.js';
import { AdminStateRepository } from '../store/admin-users.js';
import type { Db } from '../store/repositories.js';
import type { Store, WriteTx } from '../store/store.js';
import { bearerToken, type CredentialAuthenticator } from './authenticate.js';
import { ALL_PERMISSIONS } from './permissions.js';

export const BOOTSTRAP_STATE_KEY = 'bootstrap_token';

/** Stored as JSON under `bootstrap_token` in admin_state; no row: enabled (a fresh store). */
export interface BootstrapTokenState {
  readonly enabled: boolean;
  /** `first_owner`: an owner set their password; `break_glass`: re-enabled from the host. */
  readonly reason: 'first_owner' | 'break_glass';
  readonly changedAt: number;
  /** After break-glass: when it turns itself off again (epoch ms). */
  readonly enabledUntil?: number | undefined;
}

export class BootstrapTokenSwitch {
  readonly #state: AdminStateRepository;

  constructor(
    private readonly store: Store,
    private readonly keepEnabled: boolean,
  ) {
    this.#state = new AdminStateRepository(store.db);
  }

  get keptEnabled(): boolean {
    return this.keepEnabled;
  }

  async state(db: Db = this.store.db): Promise<BootstrapTokenState | undefined> {
    return this.#state.read<BootstrapTokenState>(BOOTSTRAP_STATE_KEY, db);
  }

  /** Whether the bootstrap token works at `now`. */
  async enabled(now: number): Promise<boolean> {
    if (this.keepEnabled) return true;
    const state = await this.state();
    if (state === undefined) return true;
    return state.enabled && (state.enabledUntil === undefined || now < state.enabledUntil);
  }

  /** In the unit of work that activates an owner: the bootstrap token stops working with its commit. */
  async disableForFirstOwner(tx: WriteTx): Promise<boolean> {
    if (this.keepEnabled) return false;
    const state = await this.state(tx.db);
    if (state !== undefined && !state.enabled) return false;
    await this.#state.write(tx, BOOTSTRAP_STATE_KEY, { enabled: false, reason: 'first_owner', changedAt: tx.now } satisfies BootstrapTokenState);
    return true;
  }

  /** Break-glass: enabled again until `until` (or until an owner is activated again, whichever is first). */
  async breakGlass(actor: Actor, until: number): Promise<BootstrapTokenState> {
    return this.store.write(actor, 'admin.break_glass', async (tx) => {
      const state: BootstrapTokenState = { enabled: true, reason: 'break_glass', changedAt: tx.now, enabledUntil: until };
      await this.#state.write(tx, BOOTSTRAP_STATE_KEY, state);
      return state;
    });
  }
}

export interface BootstrapAuthenticatorOptions {
  readonly token: SecretValue;
  /** Undefined without a store: then the token is the only credential and always works. */
  readonly bootstrap: BootstrapTokenSwitch | undefined;
  readonly logger: () => Logger;
}

/**
 * `Authorization: Bearer <admin.token>` (RFC 6750 §2.1), compared in constant time as equal-length
 * SHA-256 digests. Principal: kind `bootstrap-token`, id `bootstrap`, every permission. Any other
 * bearer value is left to the other authenticators; if none takes it, it is refused.
 */
export function bootstrapTokenAuthenticator(options: BootstrapAuthenticatorOptions): CredentialAuthenticator {
  const expected = digest(options.token.reveal());
  return {
    name: 'bootstrap-token',
    async authenticate(req, { clientIp, now }) {
      const presented = bearerToken(req);
      if (presented === '' || !timingSafeEqual(digest(presented), expected)) return { kind: 'absent' };
      if (options.bootstrap && !(await options.bootstrap.enabled(now))) {
        options.logger().warn({ event: 'admin.bootstrap_token_refused', clientIp }, 'the bootstrap token was used after it was disabled');
        return { kind: 'refused', reason: 'bootstrap token disabled', detail: 'The bootstrap token is disabled since an owner exists: sign in as an admin user, or use `portcullis admin break-glass` on the host.' };
      }
      return { kind: 'ok', principal: { kind: 'bootstrap-token', id: 'bootstrap', credentialId: 'bootstrap', permissions: [ALL_PERMISSIONS], ip: clientIp } };
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
