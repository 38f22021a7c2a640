/**
 * What the gateway opens besides its listeners: the store (if configured), the in-memory key index
 * that follows it, the key service for the admin API, the brute-force throttle, and the services
 * the config's policies require (service-provision.ts: the geo database and the issuer key
 * registry open when a policy first needs them, at start or on reload). Store settings take
 * effect at start; a reload that changes them says a restart is needed.
 */
import type { LogEventTap } from '../observability/log-tap.js';
import { FieldUsageCounters } from '../store/field-usage.js';
import { RouteTrafficCounters } from '../store/route-traffic.js';
import { RouteUnmatchedCounters } from '../store/route-unmatched.js';
import type { Clock } from '../core/clock.js';
import type { AuthFailureTracker, GatewayServices } from '../core/services.js';
import type { GatewayConfig } from '../config/schema.js';
import { formatIssue } from '../config/loader.js';
import { KeyAgeEnforcement } from '../keys/key-age-enforcement.js';
import { KeyIndex, type KeyIndexAgePolicy } from '../keys/key-index.js';
import { KeyService } from '../keys/key-service.js';
import type { Logger } from '../observability/logger.js';
import { BUNDLED_COUNTRY_DATABASE, GeoDatabase } from '../geo/geo-database.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { DependencyHealth } from '../observability/dependency-health.js';
import { KeySourceRegistry } from '../jwks/key-source-registry.js';
import type { Outbound } from '../outbound/index.js';
import { openOAuth, type OpenedOAuth } from '../oauth/open-oauth.js';
import { openAudit, type OpenedAudit } from '../audit/open-audit.js';
import { CheckpointKeyError } from '../audit/checkpoint-key.js';
import { openCredentials, type OpenedCredentials } from '../credentials/open-credentials.js';
import { FailureThrottle } from '../security/failure-throttle.js';
import { secretLengthIssues } from '../config/start-rules.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { storeLocation } from './store-location.js';
import { describePgError, isConnectionFailure } from '../store/pg-errors.js';
import { ApiKeyRepository, ConsumerRepository } from '../store/repositories.js';
import { ConsumerDirectory } from '../store/consumer-directory.js';
import { followStore, type FollowedStore } from '../store/follow-store.js';
import { PkiRepository } from '../store/pki-repository.js';
import { Store } from '../store/store.js';
import { RateLimitOverrideRepository } from '../store/rate-limit-overrides.js';
import { OverrideIndex } from '../ratelimit/override-index.js';

import { AuditStreaming } from '../audit/audit-streaming.js';
import { reportingBlocks } from '../audit/security-events.js';
import { openSharedCounters, type SharedCounters, type SharedCountersOptions } from './counter-services.js';
import { openRateLimits } from './rate-limit-services.js';
import { StartupError } from './listen.js';
import { ServiceProvision, type ProvideResult, type ServiceOpeners } from './service-provision.js';
import { KekConfigError } from '../vault/kek-sources.js';
import { openVault, VaultKeyMissingError, type OpenedVault } from '../vault/open-vault.js';
import { bindVaultReferences } from './vault-binding.js';

/** How often field-usage counts are written (docs/fields.md): a minute of evidence is lost at most on a crash. */
export const FIELD_USAGE_FLUSH_MS = 60_000;

export { StartupError };

export interface OpenedServices {
  /** What policies are given: one object, to which provide() adds what later configs need. */
  readonly services: GatewayServices;
  /** Opens what `config`'s policies require (before a reload builds it), or says why it cannot. */
  provide(config: GatewayConfig): Promise<ProvideResult>;
  readonly metrics: GatewayMetrics;
  /** Which dependencies answer (store, redis, issuers, CRLs, log): metrics, outage logs, /readyz. */
  readonly health: DependencyHealth;
  /** The store's unit of work (`store.write`) and its reads. */
  readonly store: Store | undefined;
  readonly consumers: ConsumerRepository | undefined;
  readonly keyService: KeyService | undefined;
  /** The key-age enforcement sweep, on the lead node with `apiKeys.enforcement.mode: expire`. */
  readonly keyAgeEnforcement?: KeyAgeEnforcement | undefined;
  readonly keyIndex: KeyIndex | undefined;
  /** The node's one consumer directory (names, status, key-age policy), when a store is configured. */
  readonly consumerDirectory?: ConsumerDirectory | undefined;
  /** The node's one change follower (and its LISTEN connection), when a store is configured. */
  readonly followed?: FollowedStore | undefined;
  /** The built-in authorization server, when `oauth` is configured. */
  readonly oauth?: OpenedOAuth | undefined;
  /** The upstream credentials the gateway injects (upstream-auth), with a store. */
  readonly credentials?: OpenedCredentials | undefined;
  readonly overrides: RateLimitOverrideRepository | undefined;
  /** The audit trail's reader and (where schedules run) its checkpointer, when a store is configured. */
  readonly audit?: OpenedAudit | undefined;
  /** Under `--workers`: the primary's counters (rate limits, slots, brute force, in-flight totals). */
  readonly counters?: SharedCounters | undefined;
  /** The vault (its read API and the operator service), when `vault` is configured. */
  readonly vault?: OpenedVault | undefined;
  /** With a store: audit streaming to sinks, denied admin attempts, security events, config records. */
  readonly auditStreaming?: AuditStreaming | undefined;
  /** With a store: route traffic by consumer and hour, for the inventory (store/route-traffic.ts). */
  readonly routeTraffic?: RouteTrafficCounters | undefined;
  /** With a store: requests on whole-contract routes that matched no operation (store/route-unmatched.ts). */
  readonly routeUnmatched?: RouteUnmatchedCounters | undefined;
  close(): Promise<void>;
}

/**
 * `outbound` is the gateway's (its owner closes it): issuer keys are fetched through it.
 * `schedules: false` (a cluster worker other than the lead) leaves out the schedules that must run
 * once per gateway: signing-key rotation (server/cluster-worker.ts). `sharedCounters` (under
 * `--workers`): the channel to the primary, which keeps every in-memory limit for all workers.
 */
export async function openServices(config: GatewayConfig, logger: Logger, clock: Clock, outbound: Outbound, options: { schedules: boolean; sharedCounters?: SharedCountersOptions | undefined; env?: NodeJS.ProcessEnv | undefined; logEvents?: LogEventTap | undefined; nodeId?: string | undefined } = { schedules: true }): Promise<OpenedServices> {
  const metrics = new GatewayMetrics({ processMetrics: true, ...(options.logEvents ? { logEvents: options.logEvents } : {}) });
  const health = new DependencyHealth({ clock, logger: () => logger, metrics });
  const counters = options.sharedCounters ? await openSharedCounters(options.sharedCounters, config.bruteForce, health, metrics) : undefined;
  const policyMetrics = {
    locationMismatch: (route: string, action: 'flag' | 'deny') => metrics.locationMismatches.inc({ route, action }),
    tokenRejected: (route: string, code: string) => metrics.tokensRejected.inc({ route, code }),
    validationFailure: (route: string) => metrics.validationFailures.inc({ route }),
    contractViolation: (route: string, action: 'report' | 'block') => metrics.contractViolations.inc({ route, action }),
  };
  // The built-in authorization server's keys, once it is open: the issuer key registry serves them.
  let builtinKeys: OpenedOAuth['state'] | undefined;
  const openers: ServiceOpeners = {
    // Issuer keys live as long as the process once opened, shared by routes and kept across reloads.
    issuerKeys: {
      optionsOf: () => '',
      open: async () => {
        const registry = new KeySourceRegistry({
          clock,
          logger,
          outbound,
          metrics: {
            fetched: (issuer, outcome) => {
              metrics.jwksFetches.inc({ issuer, outcome });
              if (outcome === 'ok') health.up(`issuer:${issuer}`);
              else health.down(`issuer:${issuer}`, 'discovery or JWKS fetch failed (see jwks.fetch_failed)');
            },
            staleKeysUsed: (issuer) => metrics.staleKeysUsed.inc({ issuer }),
          },
        });
        if (builtinKeys) registry.setBuiltin(builtinKeys);
        return { service: registry, close: () => registry.close() };
      },
    },
    // Loaded only when some policy requires it: 15 MB of database is not free.
    geo: {
      optionsOf: (next) => next.geo.databasePath ?? BUNDLED_COUNTRY_DATABASE,
      open: async (next) => {
        const database = await GeoDatabase.open(next.geo.databasePath ?? BUNDLED_COUNTRY_DATABASE, logger);
        database.watch();
        return { service: database, close: () => database.close() };
      },
    },
  };
  const authFailures = counters?.authFailures ?? new FailureThrottle(config.bruteForce);
  // The loader refuses these already; a config built another way must not get past them either.
  for (const issue of secretLengthIssues(config as never)) throw new StartupError(`${issue.path} ${issue.message}`);
  const rateLimits = await openRateLimits(config, logger, metrics, health, counters);
  if (!config.store) {
    const provision = await provideAtStart(new ServiceProvision({ authFailures, metrics: policyMetrics, rateLimits }, openers), config, async () => rateLimits.close());
    const unbound = bindVaultReferences(config, undefined);
    if (unbound) throw new StartupError(formatIssue(unbound));
    return {
      services: provision.services,
      provide: (next) => provideBound(next, undefined, provision),
      metrics,
      health,
      store: undefined,
      consumers: undefined,
      keyService: undefined,
      keyIndex: undefined,
      overrides: undefined,
      counters,
      close: async () => {
        provision.close();
        await rateLimits.close();
      },
    };
  }
  const storeConfig = config.store;
  const opened = openStore(storeLocation(storeConfig, (up, reason) => (up ? health.up('store') : health.down('store', reason ?? 'failed'))));
  const store = new Store(opened, { clock, logger: () => logger });
  let closeFollower = async () => {};
  let closeAudit = async () => {};
  let streaming: AuditStreaming | undefined;
  let credentials: OpenedCredentials | undefined;
  try {
    if (config.store.migrateOnStart) {
      const result = await migrateToLatest(store);
      for (const applied of result.results ?? []) logger.info({ event: 'store.migrated', migration: applied.migrationName }, 'store migration applied');
      if (result.newer) logger.warn({ event: 'store.schema_newer', migrations: result.newer }, 'the store was migrated by a newer release: running on its schema (rolling upgrade or rollback)');
    }
    const consumers = new ConsumerRepository(store.db);
    const keys = new ApiKeyRepository(store.db);
    // One follower feeds every projection from the same batches, with one consumer directory.
    const followed = followStore(
      store,
      {
        pollIntervalMs: storeConfig.pollIntervalMs,
        retentionSeconds: storeConfig.changeRetentionSeconds,
        postgres: storeConfig.driver === 'postgres' ? { url: storeConfig.url!.reveal(), connectTimeoutMs: storeConfig.connectTimeoutMs } : undefined,
      },
      { logger, clock },
    );
    closeFollower = () => followed.stop();
    // This node's own writes reach its projections at once, without waiting for a poll or a NOTIFY.
    store.onCommitted(() => followed.follower.nudge());
    // The vault first: `${secret:…}` references (the pepper may be one) are bound to it before
    // anything reveals them; a name it cannot give stops the start.
    const vault = config.vault
      ? await openVault(config.vault, { store, follower: followed.follower, logger }).catch((error: unknown) => {
          throw error instanceof VaultKeyMissingError || error instanceof KekConfigError ? new StartupError(error.message) : error;
        })
      : undefined;
    if (vault) logger.info({ event: 'vault.opened', keks: vault.vault.ring.ids, secrets: vault.vault.size }, 'vault open');
    const unbound = bindVaultReferences(config, vault?.vault);
    if (unbound) throw new StartupError(formatIssue(unbound));
    for (const issue of secretLengthIssues(config as never)) throw new StartupError(`${issue.path} ${issue.message}`);
    const directory = new ConsumerDirectory(consumers);
    await followed.follower.add(directory);
    const pepper = config.apiKeys?.pepper.reveal();
    const keyIndex = config.apiKeys && pepper ? new KeyIndex(directory, keys, { pepper, lastUsedFlushMs: config.apiKeys.lastUsedFlushMs, logger, clock, store, agePolicy: keyIndexAgePolicy(config.apiKeys) }) : undefined;
    if (keyIndex) await followed.follower.add(keyIndex);
    const overrides = new RateLimitOverrideRepository(store.db);
    const overrideIndex = new OverrideIndex(overrides);
    await followed.follower.add(overrideIndex);
    const started = performance.now();
    await followed.start();
    logger.info({ event: 'keys.loaded', keys: keyIndex?.size ?? 0, consumers: directory.size, revision: followed.follower.revision, ms: Math.round(performance.now() - started) }, 'store state loaded');
    keyIndex?.start();
    // Key-age enforcement writes on the lead node only (the gateway's duties); the others refuse
    // the same keys from their index and follow its writes through the change feed.
    const enforcement = config.apiKeys?.enforcement.mode === 'expire' && keyIndex && options.schedules
      ? new KeyAgeEnforcement({ policy: config.apiKeys, graceDays: config.apiKeys.enforcement.graceDays, sweepIntervalSeconds: config.apiKeys.enforcement.sweepIntervalSeconds, store, keys, consumers: directory, clock, logger })
      : undefined;
    enforcement?.start();
    const keyService = config.apiKeys && pepper ? new KeyService(store, keys, { ...config.apiKeys, pepper }, clock, consumers) : undefined;
    streaming = new AuditStreaming(config.audit, { store, outbound, clock, logger: () => logger, registry: metrics.registry, recordsConfig: options.schedules, nodeId: options.nodeId });
    await streaming.start();
    // Each block a failure starts is a security event for the audit trail (batched off the request path).
    const reportedFailures = reportingBlocks(authFailures, streaming.securityEvents, 'data');
    let oauth: OpenedOAuth | undefined;
    if (config.oauth && pepper) {
      oauth = await openOAuth(config.oauth, { schedule: options.schedules, store, vault: vault?.vault, consumers: directory, follower: followed.follower, pepper, failures: reportedFailures, clock, logger, count: (endpoint, outcome) => metrics.oauthRequests.inc({ endpoint, outcome }) });
      builtinKeys = oauth.state;
    }
    const audit = await openAudit(config.audit, { store, schedule: options.schedules, clock, logger: () => logger }).catch((error: unknown) => {
      throw error instanceof CheckpointKeyError ? new StartupError(error.message) : error;
    });
    closeAudit = () => audit.stop();
    credentials = await openCredentials(config.credentials, {
      store,
      follower: followed.follower,
      outbound,
      clock,
      logger,
      redis: config.redis,
      schedules: options.schedules,
      env: options.env,
      // `${secret:NAME}` in a credential's settings reads the vault's promoted version per use.
      vault: vault ? (name) => vault.vault.read(name) : undefined,
      // Tokens sealed by the vault's envelope encryption: `vault rotate-kek` re-wraps them too.
      tokenVault: vault?.vault,
      consumers: directory,
      count: {
        unavailable: (credential, reason) => metrics.credentialUnavailable.inc({ credential, reason }),
        tokenRequest: (credential, outcome) => metrics.credentialTokenRequests.inc({ credential, outcome }),
      },
    });
    // Field-usage counts: in memory per request, written every minute and at shutdown (no recordChange).
    const fieldUsage = new FieldUsageCounters(store, { flushMs: FIELD_USAGE_FLUSH_MS, logger: () => logger });
    fieldUsage.start();
    // Route traffic for the inventory: the same way, on the same schedule (store/route-traffic.ts).
    const routeTraffic = new RouteTrafficCounters(store, { flushMs: FIELD_USAGE_FLUSH_MS, logger: () => logger, now: () => clock.now() });
    routeTraffic.start();
    const routeUnmatched = new RouteUnmatchedCounters(store, { flushMs: FIELD_USAGE_FLUSH_MS, logger: () => logger });
    routeUnmatched.start();
    const provision = await provideAtStart(
      new ServiceProvision({ authFailures: reportedFailures, fieldUsage, securityEvents: streaming.securityEvents, apiKeys: keyIndex, consumers: directory, metrics: policyMetrics, endpoints: oauth?.server, rateLimits: { ...rateLimits, overrides: overrideIndex }, caCrls: new PkiRepository(store.db), upstreamCredentials: credentials.service }, openers),
      config,
      async () => {
        await audit.stop();
        await credentials?.close();
        await oauth?.stop();
        await enforcement?.stop();
        await keyIndex?.stop();
        await streaming?.close();
        await fieldUsage.stop();
        await routeTraffic.stop();
        await routeUnmatched.stop();
      },
    );
    return {
      services: provision.services,
      provide: (next) => provideBound(next, vault?.vault, provision),
      metrics,
      health,
      store,
      vault,
      consumers,
      keyService,
      keyIndex,
      consumerDirectory: directory,
      keyAgeEnforcement: enforcement,
      followed,
      oauth,
      credentials,
      overrides,
      audit,
      counters,
      auditStreaming: streaming,
      routeTraffic,
      routeUnmatched,
      async close() {
        provision.close();
        await audit.stop();
        await streaming?.close();
        await credentials?.close();
        await oauth?.stop();
        await rateLimits.close();
        await enforcement?.stop();
        await followed.stop();
        await keyIndex?.stop();
        await fieldUsage.stop();
        await routeTraffic.stop();
        await routeUnmatched.stop();
        await store.close();
      },
    };
  } catch (error) {
    await closeAudit().catch(() => {});
    await streaming?.close().catch(() => {});
    await credentials?.close().catch(() => {});
    await closeFollower().catch(() => {});
    await store.close().catch(() => {});
    await rateLimits.close().catch(() => {});
    // The database down at start: one plain line for the operator (the start command exits 1).
    if (!(error instanceof StartupError) && storeConfig.driver === 'postgres' && isConnectionFailure(error)) {
      throw new StartupError(`the store (postgres) did not answer: ${describePgError(error)}; start it, or check store.url`, { cause: error });
    }
    throw error;
  }
}


/** A reload's config: its vault references bound first (a missing secret refuses the reload), then its services. */
async function provideBound(config: GatewayConfig, vault: OpenedVault['vault'] | undefined, provision: ServiceProvision): Promise<ProvideResult> {
  const unbound = bindVaultReferences(config, vault);
  return unbound ? { ok: false, issue: unbound } : provision.provide(config);
}

/** `tracker`, reporting each block it starts to the audit trail when there is one (`scope`: data or admin). */
export function withBlockEvents(tracker: AuthFailureTracker, services: Pick<OpenedServices, 'auditStreaming'>, scope: string): AuthFailureTracker {
  return services.auditStreaming ? reportingBlocks(tracker, services.auditStreaming.securityEvents, scope) : tracker;
}

/** Opens what the starting config's policies require; a service that cannot be had stops the start. */
async function provideAtStart(provision: ServiceProvision, config: GatewayConfig, undo: () => Promise<void>): Promise<ServiceProvision> {
  const provided = await provision.provide(config);
  if (provided.ok) return provision;
  provision.close();
  await undo().catch(() => {});
  throw new StartupError(formatIssue(provided.issue));
}

/** What key verification applies of `apiKeys`: the key-age policy and, when enforced, its grace. */
function keyIndexAgePolicy(apiKeys: NonNullable<GatewayConfig['apiKeys']>): KeyIndexAgePolicy {
  return { maxAgeDays: apiKeys.maxAgeDays, warnAgeDays: apiKeys.warnAgeDays, enforceGraceDays: apiKeys.enforcement.mode === 'expire' ? apiKeys.enforcement.graceDays : undefined };
}
