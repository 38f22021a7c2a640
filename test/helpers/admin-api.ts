/**
 * The admin API on its own: a real store (SQLite file or PostgreSQL), the real services over it and
 * the real admin listener on port 0, without a gateway around it. For tests that need what a
 * gateway does not let them choose: the route table (a route that fails on purpose, registered
 * through the table like any other) or the authenticator (principals with fewer permissions than
 * the bootstrap token, until admin users exist).
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminApi, type AdminApiOptions } from '../../src/admin/admin-api.js';
import { SecretValue } from '../../src/config/secret.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { AdminPlane } from '../../src/admin/admin-plane.js';
import { openAdminAuth, type AdminAuthConfig } from '../../src/admin/sessions/create-admin-auth.js';
import { KeyService } from '../../src/keys/key-service.js';
import { createLogger } from '../../src/observability/logger.js';
import { createAdminServer } from '../../src/server/admin.js';
import { migrateToLatest, openStore, type StoreLocation } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { RateLimitOverrideRepository } from '../../src/store/rate-limit-overrides.js';
import { ApiKeyRepository, ConsumerRepository } from '../../src/store/repositories.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { LogCapture } from './index.js';
import { ADMIN_TOKEN, PEPPER } from './keys.js';
import { storeFor } from './store.js';

export interface StandaloneAdminApi {
  readonly url: string;
  readonly store: Store;
  readonly consumers: ConsumerRepository;
  readonly keys: KeyService;
  readonly logs: LogCapture;
  /** Admin users, roles and tokens over the store. */
  readonly admin: AdminPlane;
  call(method: string, path: string, options?: { token?: string | undefined; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const sqliteLocation = (): StoreLocation => ({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-admin-')), 'store.db') });

export interface StandaloneOptions extends AdminApiOptions {
  readonly clock?: Clock;
  readonly keepBootstrapToken?: boolean;
  /** Admin users' sign-in (sessions, MFA) with this config: off when absent. */
  readonly signIn?: AdminAuthConfig;
}

export async function startAdminApi(location: StoreLocation, options: StandaloneOptions = {}): Promise<StandaloneAdminApi> {
  const opened = openStore(location);
  await migrateToLatest(opened);
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', redactHeaders: [] }, logs);
  const clock = options.clock ?? systemClock;
  const store = storeFor(opened, clock, logger);
  const token = new SecretValue(ADMIN_TOKEN, '${env:PORTCULLIS_ADMIN_TOKEN}');
  const admin = new AdminPlane(
    store,
    { token, bootstrapToken: { keepEnabled: options.keepBootstrapToken ?? false }, tokens: { defaultExpiryDays: 90, maxExpiryDays: 365, lastUsedFlushMs: 60_000 }, users: { codeExpiryHours: 72 } },
    clock,
    () => logger,
  );
  const signIn = options.signIn;
  const auth = signIn ? openAdminAuth(admin, () => signIn, clock, () => logger) : undefined;
  const consumers = new ConsumerRepository(store.db);
  const keys = new KeyService(store, new ApiKeyRepository(store.db), { pepper: PEPPER, product: 'ptc', environment: 'live', maxAgeDays: 90, warnAgeDays: 60 }, systemClock, consumers);
  const api = createAdminApi(
    {
      token,
      admin,
      auth,
      store,
      consumers,
      keys,
      overrides: new RateLimitOverrideRepository(store.db),
      audit: new AuditLog(store.db),
      rateLimitNames: () => new Set(['per-day']),
      fieldAllowlist: () => undefined,
      failures: undefined,
      logger: () => logger,
      clock,
      typeBaseUrl: () => 'https://portcullis.dev/errors/',
    },
    options,
  );
  const state = { ready: () => true, degraded: () => [], typeBaseUrl: () => 'https://portcullis.dev/errors/', configRevision: () => 1, metrics: async () => ({ contentType: 'text/plain', body: '' }) };
  const server = createAdminServer(state, api);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    consumers,
    keys,
    logs,
    admin,
    call(method, path, { token = ADMIN_TOKEN, body } = {}) {
      return fetch(`${url}${path}`, {
        method,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await admin.stop().catch(() => {});
      await store.close().catch(() => {});
    },
  };
}
