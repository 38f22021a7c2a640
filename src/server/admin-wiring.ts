/**
 * The admin listener's parts, put together for the gateway (gateway.ts): the admin plane (users,
 * roles, sessions) on the worker that serves it, sign-in and SSO, the admin API over the
 * gateway's services, the console assets, and the admission state (allowlist, mTLS) in front of
 * it. What they read of the config is read from the runtime in force, so a reload changes them.
 */
import type { Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/schema.js';
import { createAdminApi } from '../admin/admin-api.js';
import { openAdminPlane, type AdminPlane } from '../admin/admin-plane.js';
import { openAdminAuth } from '../admin/sessions/create-admin-auth.js';
import { openSso, type SsoService } from '../admin/sso/open-sso.js';
import { fieldAllowlist, rateLimitNames } from '../config/policy-usage.js';
import { vaultReferencePaths } from '../config/secret.js';
import { FailureThrottle } from '../security/failure-throttle.js';
import type { Outbound } from '../outbound/index.js';
import { adminCertificates } from './admin-certificates.js';
import { createAdminServer } from './admin.js';
import type { AdminAdmissionState } from './admin-admission.js';
import type { OpenedAlerting } from './alerting.js';
import type { ClusterRole } from './cluster-messages.js';
import { loadConsoleAssets, type ConsoleAssets } from './console-assets.js';
import type { ListenerTls } from './listener-tls.js';
import type { Runtime } from './runtime.js';
import { withBlockEvents, type OpenedServices } from './services.js';
import type { KnownCertificate } from '../pki/expiry-watch.js';
import type { ProbeState } from './probes.js';

export interface AdminWiringDeps {
  /** The config at start: the admin plane opens from it once. */
  readonly config: GatewayConfig;
  readonly configPath: string | undefined;
  readonly role: ClusterRole;
  readonly services: OpenedServices;
  readonly alerting: OpenedAlerting;
  readonly outbound: Outbound;
  readonly clock: Clock;
  /** The runtime in force (replaced by each reload). */
  readonly runtime: () => Runtime;
  readonly probeState: ProbeState;
  readonly knownCertificates: () => KnownCertificate[];
  /** Every listener's TLS state (undefined for plain HTTP), the admin listener's last. */
  readonly listenerTls: () => Array<ListenerTls | undefined>;
  /** The admin listener's TLS state (admin.tls), once open. */
  readonly adminTls: () => ListenerTls | undefined;
}

export interface AdminWiring {
  /** Users, roles and sessions: only on the worker that serves the admin listener. */
  readonly plane: AdminPlane | undefined;
  readonly sso: SsoService | undefined;
  /** Makes the admin listener's server (with its TLS state, or plain HTTP). */
  readonly createServer: (tls: ListenerTls | undefined) => Server;
}

export function wireAdmin(deps: AdminWiringDeps): AdminWiring {
  const { services, clock, outbound } = deps;
  const config = () => deps.runtime().config;
  const logger = () => deps.runtime().logger;
  const plane = deps.role.admin ? openAdminPlane(deps.config.admin, services.store, clock, logger) : undefined;
  // Sign-in reads admin.mfa and admin.sessions of the config in force (a reload changes them).
  const auth = plane && openAdminAuth(plane, () => config().admin, clock, logger);
  const sso = plane && auth && openSso(plane, auth, () => config().admin.sso?.oidc, { clock, logger, outbound, metrics: services.metrics });
  const api = createAdminApi({
    alerts: deps.alerting,
    auditHooks: services.auditStreaming,
    token: deps.config.admin.token,
    admin: plane,
    auth,
    sso,
    store: services.store,
    consumers: services.consumers,
    keys: services.keyService,
    oauth: services.oauth,
    overrides: services.overrides,
    audit: services.audit?.log,
    vault: services.vault?.service,
    credentials: services.credentials,
    rateLimitNames: () => rateLimitNames(config()),
    fieldAllowlist: (route) => fieldAllowlist(config(), route),
    runningConfig: () => ({ config: config(), baseDir: deps.configPath === undefined ? undefined : dirname(resolve(deps.configPath)) }),
    secretReferences: () => vaultReferencePaths(config()),
    certificates: adminCertificates(config, deps.knownCertificates, deps.listenerTls),
    // Its own counts: clients failing keys on the data plane must not lock operators out.
    // Always on, whatever bruteForce.enabled says: the admin token opens everything.
    failures: withBlockEvents(services.counters?.adminFailures ?? new FailureThrottle({ ...deps.config.bruteForce, enabled: true }), services, 'admin'),
    logger,
    clock,
    typeBaseUrl: () => config().errors.typeBaseUrl,
  });
  const adminState = {
    ...deps.probeState,
    metricsToken: () => config().admin.metricsToken,
    metrics: deps.role.metrics ?? (async () => ({ contentType: services.metrics.registry.contentType, body: await services.metrics.registry.metrics() })),
  };
  const admission: AdminAdmissionState = {
    allowlist: () => config().admin.allowlist,
    trustedProxies: () => deps.runtime().trustedProxies,
    tls: deps.adminTls,
    refused: (reason, clientIp, code) => {
      services.metrics.adminRefused.inc({ reason });
      logger().warn({ event: 'admin.request_refused', reason, code, clientIp }, 'admin listener refused a request before authentication');
    },
  };
  // Read once, on first use: a reload that turns admin.console.enabled on needs no restart.
  let consoleAssets: ConsoleAssets | undefined | null = null;
  const consoleOf = () => {
    if (!config().admin.console.enabled) return undefined;
    if (consoleAssets === null) {
      consoleAssets = loadConsoleAssets();
      if (!consoleAssets) logger().warn({ event: 'admin.console_missing' }, 'admin.console.enabled, but this installation has no built console (npm run build makes it): /console/ answers 404');
    }
    return consoleAssets;
  };
  return { plane, sso, createServer: (tls) => createAdminServer(adminState, api, { admission, tls, console: consoleOf }) };
}
