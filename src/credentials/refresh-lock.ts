/**
 * The cross-node refresh lock: at most one node asks a token endpoint for a credential at a time,
 * so a rotating refresh token is used once (a second use of a rotated one is refused by the
 * provider, and may revoke the whole grant: RFC 9700 §4.14.2). Redis `SET key owner NX PX ttl`,
 * released by a compare-and-delete script so a node whose lock lapsed never frees another's. The
 * lock is advisory: the store's fencing check (the token version in the UPDATE) is what keeps the
 * newest tokens if a lock lapses mid-refresh.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export type LockAttempt = { readonly state: 'held'; release(): Promise<void> } | { readonly state: 'busy' } | { readonly state: 'unavailable'; readonly reason: string };

export interface RefreshLock {
  tryAcquire(credentialId: string): Promise<LockAttempt>;
  close(): Promise<void>;
}

/** Deletes the key only while it still holds this owner's token. */
const COMPARE_AND_DELETE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisRefreshLockOptions {
  readonly url: string;
  readonly password: string | undefined;
  /** The gateway's Redis key prefix; the lock's keys go under `<prefix>cred-lock:`. */
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly ttlMs: number;
}

export class RedisRefreshLock implements RefreshLock {
  readonly #client: Redis & { portcullisCompareAndDelete(key: string, owner: string): Promise<number> };

  constructor(private readonly options: RedisRefreshLockOptions) {
    this.#client = new Redis(options.url, {
      password: options.password,
      keyPrefix: `${options.keyPrefix}cred-lock:`,
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: Math.max(options.commandTimeoutMs, 1000),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      lazyConnect: true,
    }) as never;
    this.#client.defineCommand('portcullisCompareAndDelete', { numberOfKeys: 1, lua: COMPARE_AND_DELETE });
    // Failures surface per call as 'unavailable'; the client keeps reconnecting by itself.
    this.#client.on('error', () => {});
  }

  async connect(): Promise<void> {
    await this.#client.connect().catch(() => {});
  }

  async tryAcquire(credentialId: string): Promise<LockAttempt> {
    const owner = randomBytes(16).toString('base64url');
    try {
      const set = await this.#client.set(credentialId, owner, 'PX', this.options.ttlMs, 'NX');
      if (set !== 'OK') return { state: 'busy' };
    } catch (error) {
      return { state: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
    return {
      state: 'held',
      release: async () => {
        // A lapsed lock is simply gone (or another's now): nothing to do either way.
        await this.#client.portcullisCompareAndDelete(credentialId, owner).catch(() => 0);
      },
    };
  }

  async close(): Promise<void> {
    this.#client.disconnect();
  }
}

/** Without Redis: one node's single flight is the only lock (the fencing check still holds). */
export const NO_SHARED_LOCK: RefreshLock = {
  tryAcquire: async () => ({ state: 'held', release: async () => {} }),
  close: async () => {},
};
