/**
 * Opens the upstream credential service of a node: the token cache (a projection of the change
 * follower), the token client over the outbound client, the sealer, the cross-node lock (Redis
 * when configured), last-used batching, and the lifecycle sweep (expiry by time and by disuse,
 * expiry notices), which runs where the node runs schedules.
 */
import type { CredentialsConfig, GatewayConfig } from '../config/schema.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { ConsumerDirectory } from '../core/services.js';
import type { Logger } from '../observability/logger.js';
import type { Outbound } from '../outbound/index.js';
import type { ChangeFollower } from '../store/change-follower.js';
import type { Store } from '../store/store.js';
import { UpstreamCredentialRepository } from '../store/upstream-credentials.js';
import { CredentialService } from './credential-service.js';
import { lifecycleVerdict, type LifecycleDefaults } from './lifecycle.js';
import { NO_SHARED_LOCK, RedisRefreshLock, type RefreshLock } from './refresh-lock.js';
import { SecretResolver, type VaultRead } from './secret-resolver.js';
import { TokenCache } from './token-cache.js';
import { TokenClient } from './token-client.js';
import { KeyTokenSealer, VaultTokenSealer, type TokenSealer, type TokenVault } from './token-sealer.js';

/** Last-used times are written at most this often. */
const LAST_USED_FLUSH_MS = 60_000;

export interface OpenedCredentials {
  readonly service: CredentialService;
  readonly repository: UpstreamCredentialRepository;
  readonly tokens: TokenClient;
  readonly defaults: LifecycleDefaults;
  /** The gateway's clock (admin views compute expiry against it). */
  now(): number;
  /** One lifecycle pass now (the schedule calls it; tests and `credentials sweep` too). */
  sweep(): Promise<void>;
  flushLastUsed(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenCredentialsDeps {
  readonly store: Store;
  readonly follower: ChangeFollower;
  readonly outbound: Outbound;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly redis: GatewayConfig['redis'];
  /** The vault when the node has one: tokens are sealed by its envelope encryption (else with credentials.tokenEncryptionKey). */
  readonly tokenVault?: TokenVault | undefined;
  readonly vault?: VaultRead | undefined;
  readonly count: CredentialServiceCounters;
  readonly consumers?: ConsumerDirectory | undefined;
  /** False on a node that must not run once-per-gateway schedules (a worker other than the lead). */
  readonly schedules: boolean;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface CredentialServiceCounters {
  unavailable(credential: string, reason: string): void;
  tokenRequest(credential: string, outcome: 'ok' | 'refused' | 'failed' | 'fenced'): void;
}

export async function openCredentials(config: CredentialsConfig, deps: OpenCredentialsDeps): Promise<OpenedCredentials> {
  const sealer = tokenSealer(config, deps.tokenVault, deps.logger);
  const repository = new UpstreamCredentialRepository(deps.store.db);
  const cache = new TokenCache(repository, sealer, deps.logger);
  const secrets = new SecretResolver(deps.env ?? process.env, deps.vault);
  const tokens = new TokenClient({ outbound: deps.outbound, secrets, timeoutMs: config.tokenTimeoutMs, defaultLifetimeSeconds: config.defaultTokenLifetimeSeconds, caFiles: config.caFiles, now: () => deps.clock.now() });
  let lock: RefreshLock = NO_SHARED_LOCK;
  if (deps.redis) {
    const redisLock = new RedisRefreshLock({ url: deps.redis.url, password: deps.redis.password?.reveal(), keyPrefix: deps.redis.keyPrefix, connectTimeoutMs: deps.redis.connectTimeoutMs, commandTimeoutMs: deps.redis.commandTimeoutMs, ttlMs: config.lockTtlMs });
    await redisLock.connect();
    lock = redisLock;
  }
  const lastUsed = new Map<string, number>();
  const defaults: LifecycleDefaults = { maxAgeDays: config.maxAgeDays, noticeDays: config.noticeDays };
  const service = new CredentialService(
    { refreshSkewSeconds: config.refreshSkewSeconds, lockWaitMs: config.lockWaitMs, quarantineAfter: config.quarantineAfter, lifecycle: defaults },
    { store: deps.store, repository, cache, tokens, sealer, secrets, lock, clock: deps.clock, logger: deps.logger, count: deps.count, consumers: deps.consumers, used: (id, at) => lastUsed.set(id, Math.max(at, lastUsed.get(id) ?? 0)) },
  );
  await deps.follower.add(cache);

  const flushLastUsed = async () => {
    if (lastUsed.size === 0) return;
    const batch = new Map(lastUsed);
    lastUsed.clear();
    await deps.store.write(SYSTEM_ACTOR, 'upstream_credential.record_last_used', (tx) => repository.recordLastUsed(tx, batch)).catch(() => {
      for (const [id, at] of batch) lastUsed.set(id, Math.max(at, lastUsed.get(id) ?? 0));
    });
  };
  /** Thresholds already announced, per credential, by this process. */
  const noticed = new Set<string>();
  const sweep = async () => {
    const now = deps.clock.now();
    try {
      await flushLastUsed();
      for (const row of await repository.list()) {
        if (row.status !== 'active' && row.status !== 'quarantined') continue;
        if (row.consumerId !== null && deps.consumers?.consumer(row.consumerId)?.active === false) {
          await service.setStatus(row.id, 'revoked', 'consumer_disabled', SYSTEM_ACTOR);
          continue;
        }
        const verdict = lifecycleVerdict(row, now, defaults);
        if (verdict.kind === 'expire') await service.setStatus(row.id, 'expired', verdict.reason, SYSTEM_ACTOR);
        else if (verdict.kind === 'notice' && !noticed.has(`${row.id}:${verdict.thresholdDays}`)) {
          noticed.add(`${row.id}:${verdict.thresholdDays}`);
          const daysLeft = Math.ceil((verdict.expiresAt - now) / 86_400_000);
          deps.logger.warn({ event: 'credentials.expiring', credential: row.name, owner: row.owner, thresholdDays: verdict.thresholdDays, daysLeft, expiresAt: new Date(verdict.expiresAt).toISOString() }, 'an upstream credential expires soon');
        }
      }
      deps.logger.info({ event: 'credentials.sweep_done', at: new Date(now).toISOString() }, 'upstream credential lifecycle sweep done');
    } catch (error) {
      deps.logger.error({ event: 'credentials.sweep_failed', err: error instanceof Error ? error.message : String(error) }, 'the upstream credential sweep failed');
    }
  };
  const flushTimer = setInterval(() => void flushLastUsed(), LAST_USED_FLUSH_MS);
  flushTimer.unref();
  let sweepTimer: NodeJS.Timeout | undefined;
  if (deps.schedules) {
    sweepTimer = setInterval(() => void sweep(), config.sweepIntervalSeconds * 1000);
    sweepTimer.unref();
    setImmediate(() => void sweep());
  }
  return {
    service,
    repository,
    tokens,
    defaults,
    now: () => deps.clock.now(),
    sweep,
    flushLastUsed,
    async close() {
      clearInterval(flushTimer);
      if (sweepTimer) clearInterval(sweepTimer);
      await flushLastUsed();
      await tokens.close();
      await lock.close();
    },
  };
}

/**
 * The vault seals tokens when the node has one; `credentials.tokenEncryptionKey`, if still set,
 * opens rows sealed before (each re-sealed by the vault at its next refresh or KEK rotation).
 * Without either, tokens cannot be stored (never in the clear).
 */
export function tokenSealer(config: CredentialsConfig, vault: TokenVault | undefined, logger: Logger): TokenSealer {
  const secret = config.tokenEncryptionKey?.reveal();
  const legacy = secret ? new KeyTokenSealer(secret) : undefined;
  if (!vault) return legacy ?? REFUSING_SEALER;
  const told = new Set<string>();
  return new VaultTokenSealer(vault, legacy, (credentialId) => {
    if (told.has(credentialId)) return;
    told.add(credentialId);
    logger.warn({ event: 'credentials.legacy_sealed', credentialId }, 'stored tokens opened with credentials.tokenEncryptionKey: re-sealed by the vault at the next refresh or vault rotate-kek');
  });
}

/** Without a vault or a key, OAuth tokens cannot be stored: the credential is unavailable (never stored in the clear). */
const REFUSING_SEALER: TokenSealer = {
  seal: async () => {
    throw new Error('neither a vault nor credentials.tokenEncryptionKey is configured: tokens cannot be stored sealed');
  },
  open: async () => {
    throw new Error('neither a vault nor credentials.tokenEncryptionKey is configured: stored tokens cannot be opened');
  },
};
