/**
 * Key-age enforcement (issue 24 §5, `apiKeys.enforcement.mode: expire`): a key `graceDays` past
 * the end of its consumer's key-age policy is expired. Every node already refuses such a key from
 * its in-memory index (key-index.ts, on the same clock); this sweep, run by the lead node only
 * (the gateway's duties), makes it so in the store: the key's expiry is brought forward, one
 * audited unit of work per key with the actor `system`, and `keys.expired_by_policy` is logged.
 * The other nodes follow through the change feed. The write is conditional, so two nodes sweeping
 * at once (several hosts on one PostgreSQL) still record each expiry once.
 */
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { ConsumerDirectory } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { ApiKeyRepository } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import { DAY_MS, keyAgeStanding, type OrganisationKeyAgePolicy } from './key-age-policy.js';

/** Keys read per store query while sweeping. */
const SWEEP_PAGE_SIZE = 1000;

export interface KeyAgeEnforcementOptions {
  readonly policy: OrganisationKeyAgePolicy;
  /** Days a key keeps working past its policy's end. */
  readonly graceDays: number;
  readonly sweepIntervalSeconds: number;
  readonly store: Store;
  readonly keys: ApiKeyRepository;
  /** The node's consumer directory: each consumer's metadata holds its own policy. */
  readonly consumers: ConsumerDirectory;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class KeyAgeEnforcement {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(private readonly options: KeyAgeEnforcementOptions) {}

  /** Sweeps now and then every `sweepIntervalSeconds` (call on the lead node only). */
  start(): void {
    this.#timer = setInterval(() => void this.sweep(), this.options.sweepIntervalSeconds * 1000);
    this.#timer.unref();
    setImmediate(() => void this.sweep());
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * One pass over every active key; resolves to how many keys this pass expired. A failing store
   * is logged (`keys.enforcement_failed`) and tried again at the next interval; never throws.
   * One pass at a time: a call while one runs waits for it.
   */
  sweep(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<number> {
    const { policy, graceDays, keys, consumers, clock, logger, store } = this.options;
    const now = clock.now();
    let expired = 0;
    try {
      let after: string | undefined;
      for (;;) {
        const page = await keys.page({}, { after, limit: SWEEP_PAGE_SIZE });
        for (const key of page) {
          if (key.status !== 'active' || (key.expiresAt !== null && key.expiresAt <= now)) continue;
          const consumer = consumers.consumer(key.consumerId);
          const standing = keyAgeStanding(key, consumer?.apiKeys === undefined ? undefined : { apiKeys: consumer.apiKeys }, policy, now);
          const deadline = standing.expiresAt + graceDays * DAY_MS;
          if (now < deadline) continue;
          // The expiry is the enforcement deadline, so the record says when the key stopped working.
          const changed = await store.write(SYSTEM_ACTOR, 'api_key.expire_by_policy', (tx) => keys.expireByPolicy(tx, key.id, deadline));
          if (changed === undefined) continue;
          expired += 1;
          logger.warn(
            { event: 'keys.expired_by_policy', keyId: key.id, consumerId: key.consumerId, maxAgeDays: standing.maxAgeDays, graceDays, policyExpiresAt: new Date(standing.expiresAt).toISOString(), expiredAt: new Date(deadline).toISOString() },
            'an API key past its key-age policy and grace was expired',
          );
        }
        if (page.length < SWEEP_PAGE_SIZE) break;
        after = page[page.length - 1]!.id;
      }
    } catch (error) {
      logger.error({ event: 'keys.enforcement_failed', expired, err: error instanceof Error ? error.message : String(error) }, 'the key-age enforcement sweep failed; it is tried again at the next interval');
    }
    return expired;
  }
}
