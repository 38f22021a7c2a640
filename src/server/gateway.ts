/**
 * The running gateway: its listeners, the admin listener, the runtime in force, reload and
 * graceful shutdown. Reload builds a whole new runtime and swaps one reference, so requests in
 * flight finish on the config they started with; a config that fails validation never replaces
 * the one serving.
 */
import type { OtlpTracing } from '../observability/tracing.js';
import type { Server } from 'node:http';
import type { DestinationStream } from 'pino';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig, ListenerConfig } from '../config/schema.js';
import type { AdminPlane } from '../admin/admin-plane.js';
import { wireAdmin } from './admin-wiring.js';
import { holdsCertificates, loadCertificateInventory, loadTlsReload, openGatewayParts, openTracing, type GatewayOptions } from './gateway-parts.js';
import { AdminListener, closeListenerEntryTls } from './admin-listener.js';
import { ProbeListener } from './probes.js';
import { openClientListener } from './client-listener.js';
import type { RequestOutcome } from '../observability/metrics.js';
import type { ListenerTls } from './listener-tls.js';
import { ExpiryWatch } from '../pki/expiry-watch.js';
import { CrlRenewal, type CrlRenewalOutcome } from './crl-renewal.js';
import { reloadCrls } from './admin-certificates.js';
import { logContractPreparations } from './contract-events.js';
import { ConfigReloader, type ReloadResult } from './reloader.js';
import type { ListenerEntry, ListenerTlsDeps, TlsListenerConfig } from './listener-tls-reload.js';
import type { SeenCertificate, UpstreamTarget } from './upstream.js';
import { buildRuntime, type Runtime } from './runtime.js';
import type { OpenedServices } from './services.js';
import { InflightRequests } from './inflight.js';
import { toBound, type BoundListener } from './listen.js';
import type { Outbound } from '../outbound/index.js';
import { WORKER_SLOT_ENV, type ClusterRole } from './cluster-messages.js';
import { serviceInstanceId } from './node-identity.js';
import { egressPolicyOf } from '../config/egress-declarations.js';
import { openAlerting } from './alerting.js';
import { ContinuousAssessment } from './assessments.js';
import { assessUpstream } from '../assess/continuous.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { OpenedAlerting } from './alerting.js';

export type { GatewayOptions } from './gateway-parts.js';


export type { ReloadResult } from './reloader.js';
export type { BoundListener } from './listen.js';

export class Gateway {
  #runtime: Runtime;
  #draining = false;
  #ready = false;
  readonly #reloader: ConfigReloader;
  readonly #servers: ListenerEntry[] = [];
  /** The admin listener (bound in #listen, on the worker that serves it). */
  readonly #admin: AdminListener;
  readonly #probes: ProbeListener;
  readonly #inflight: InflightRequests;
  readonly #destination: DestinationStream;
  readonly #clock: Clock;
  readonly #services: OpenedServices;
  readonly #expiry: ExpiryWatch;
  readonly #crlRenewal: CrlRenewal;
  readonly #tlsDeps: ListenerTlsDeps;
  /** Loaded only by a config with certificates (gateway-parts.ts). */
  #inventory: typeof import('./certificate-inventory.js') | undefined;
  readonly #outbound: Outbound;
  readonly #role: ClusterRole;
  readonly #adminPlane: AdminPlane | undefined;
  /** OpenTelemetry traces, when `tracing` is configured (start-only). */
  readonly #tracing: OtlpTracing | undefined;

  /** Alert rules, routing and sinks (docs/alerts.md). */
  readonly alerts: AlertEngine;
  /** Continuous assessment of the upstreams that opt in, and their latest grades (docs/assess.md). */
  readonly assessments: ContinuousAssessment;

  private constructor(options: GatewayOptions, destination: DestinationStream, clock: Clock, services: OpenedServices, outbound: Outbound, tracing: OtlpTracing | undefined, alerting: OpenedAlerting) {
    const alerts = (this.alerts = alerting.engine);
    this.#outbound = outbound;
    this.#tracing = tracing;
    this.#destination = destination;
    this.#clock = clock;
    this.#services = services;
    this.#role = options.cluster ?? { admin: true, duties: true };
    this.assessments = new ContinuousAssessment({ clock, logger: () => this.#runtime.logger, outbound, store: services.store, config: () => this.#runtime.config, assessor: options.assessor ?? assessUpstream, duties: this.#role.duties });
    this.#runtime = this.#build(options.config);
    logContractPreparations(this.#runtime.logger, services.metrics);
    this.#reloader = new ConfigReloader(
      {
        current: () => this.#runtime,
        contractsPrepared: () => logContractPreparations(this.#runtime.logger, services.metrics),
        build: (config) => this.#build(config),
        install: (next) => outbound.egress.setPolicy(egressPolicyOf((this.#runtime = next).config)),
        provide: async (config) => {
          await this.#loadInventoryFor(config);
          return services.provide(config);
        },
        applyListenerTls: (config) => this.#applyListenerTls(config),
        // A reload that took effect goes on record (audit trail: config.applied).
        applied: async (config, revision) => {
          await alerts.reconfigure(config.alerts).catch((error: unknown) => this.logger.error({ event: 'alerts.reconfigure_failed', err: error }, 'the reloaded alert sinks could not be built: the previous ones keep serving'));
          await services.auditStreaming?.configApplied(config, { kind: 'reload', file: options.configPath, revision });
        },
      },
      { path: options.configPath, env: options.env ?? process.env },
    );
    this.#tlsDeps = { logger: () => this.#runtime.logger, clock, metrics: services.metrics, health: services.health, outbound };
    this.#expiry = new ExpiryWatch(() => this.#knownCertificates(), {
      warningDays: options.config.certificateExpiry.warningDays,
      checkIntervalHours: options.config.certificateExpiry.checkIntervalHours,
      clock,
      logger: () => this.#runtime.logger,
      gauge: services.metrics.certificateExpiry,
    });
    const crlChanged = () => reloadCrls(this.#listenerEntries().map((entry) => entry.tls));
    this.#crlRenewal = new CrlRenewal({ clock, logger: () => this.#runtime.logger, config: () => this.#runtime.config, store: services.store, crlChanged });
    const probeState = {
      ready: () => this.#ready && !this.#draining,
      degraded: () => services.health.degraded(),
      typeBaseUrl: () => this.#runtime.config.errors.typeBaseUrl,
      configRevision: () => this.#reloader.revision,
    };
    const admin = wireAdmin({
      config: options.config,
      configPath: options.configPath,
      role: this.#role,
      services,
      alerting,
      outbound,
      clock,
      runtime: () => this.#runtime,
      probeState,
      knownCertificates: () => this.#knownCertificates(),
      listenerTls: () => this.#listenerEntries().map((entry) => entry.tls),
      adminTls: () => this.#admin.entry?.tls,
    });
    this.#adminPlane = admin.plane;
    this.#admin = new AdminListener({ createServer: admin.createServer, sso: admin.sso, tlsDeps: this.#tlsDeps, loadTlsReload });
    this.#probes = new ProbeListener(probeState);
    this.#inflight = new InflightRequests({ maxInFlight: () => this.#runtime.config.overload.maxInFlight, counters: services.counters?.client, shed: services.metrics.shed, logger: () => this.logger });
  }

  #build(config: GatewayConfig): Runtime {
    // An upstream showing a certificate not seen before has it checked at once.
    const seen = (upstream: string, target: UpstreamTarget, certificate: SeenCertificate) => {
      const observe = (inventory: typeof import('./certificate-inventory.js')) => this.#expiry?.observe(inventory.upstreamServerCertificate(upstream, target, certificate));
      // Loaded already for any config with https targets (#loadInventoryFor); the fallback is for safety.
      if (this.#inventory) observe(this.#inventory);
      else void loadCertificateInventory().then((inventory) => observe((this.#inventory = inventory)));
    };
    return buildRuntime(config, this.#destination, this.#clock, this.#outbound, this.#services.services, this.#services.metrics, seen, this.#tracing, { traffic: this.#services.routeTraffic, unmatched: this.#services.routeUnmatched }, this.assessments);
  }

  /** The certificates the expiry watch checks; none before the inventory is loaded (no config needing it). */
  #knownCertificates() {
    return this.#inventory?.knownCertificates(this.#listenerEntries().map((entry) => ({ name: entry.config.name, tls: entry.tls })), this.#runtime, this.logger) ?? [];
  }

  /** Every listener's entry, the admin listener's last when it has TLS. */
  #listenerEntries(): Array<ListenerEntry<TlsListenerConfig>> {
    return [...this.#servers, ...(this.#admin.entry ? [this.#admin.entry] : [])];
  }

  /** Loads the certificate inventory when `config` holds certificates. */
  async #loadInventoryFor(config: GatewayConfig): Promise<void> {
    if (holdsCertificates(config)) this.#inventory = await loadCertificateInventory();
  }

  /** Exports the spans still buffered (tests); nothing when tracing is off. */
  flushTraces(): Promise<void> {
    return this.#tracing?.forceFlush() ?? Promise.resolve();
  }

  /** Runs the expiry check now (tests; it also runs at start and every checkIntervalHours). */
  checkCertificateExpiry() {
    return this.#expiry.check();
  }

  /** Runs the CRL renewal check now (tests; it also runs at start and hourly with pki.issuing). */
  renewCrl(): Promise<CrlRenewalOutcome> {
    return this.#crlRenewal.check();
  }

  /** Opens the store and key index (if configured), then the listeners. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const { destination, clock, logger, outbound, node, egress, services } = await openGatewayParts(options);
    const instance = serviceInstanceId(node, options.cluster ? process.env[WORKER_SLOT_ENV] : undefined);
    const tracing = options.config.tracing ? await openTracing(options.config.tracing, { outbound, logger: () => gateway.logger, metrics: services.metrics, nodeId: instance }) : undefined;
    let built: Gateway | undefined;
    const alerting = await openAlerting(options.config.alerts, { clock, logger: () => built?.logger ?? logger, metrics: services.metrics, node, readMetrics: options.cluster?.alertMetrics, forward: options.cluster?.forwardAlertSignal, outbound, store: services.store, runtime: () => (built ? built.#runtime : undefined), keys: services.keyIndex && services.consumerDirectory ? { index: services.keyIndex, consumers: services.consumerDirectory } : undefined }).catch(async (error: unknown) => {
      await services.close();
      await outbound.close();
      throw error;
    });
    const gateway: Gateway = (built = new Gateway(options, destination, clock, services, outbound, tracing, alerting));
    egress.reportTo(() => gateway.logger, services.metrics);
    try {
      await gateway.#loadInventoryFor(options.config);
      // Recorded before listening: once /readyz answers 200 and gateway.started is logged, start
      // has nothing left to await, so the caller holds the running gateway (a crash from then on
      // drains it and its crash line reaches the log, signals.ts).
      await services.auditStreaming?.configApplied(options.config, { kind: 'start', file: options.configPath });
      await gateway.#listen();
    } catch (error) {
      // A listener that could not bind must not leave the ones already bound (and their TLS
      // timers and watchers) keeping the process alive.
      await gateway.#abandon();
      await services.close();
      await outbound.close();
      throw error;
    }
    return gateway;
  }

  /** Closes what #listen opened before it failed. */
  async #abandon(): Promise<void> {
    for (const entry of this.#servers) {
      await new Promise<void>((resolve) => entry.server.close(() => resolve()));
      await closeListenerEntryTls(entry);
    }
    await this.#admin.close();
    await this.#adminPlane?.stop().catch(() => {});
    await this.#probes.close();
    await this.alerts.close().catch(() => {});
    await this.#runtime.close().catch(() => {});
  }

  /** The store's consumers and keys, for tests and tools in the same process. */
  get services(): OpenedServices {
    return this.#services;
  }

  get config(): GatewayConfig {
    return this.#runtime.config;
  }

  get logger() {
    return this.#runtime.logger;
  }

  /**
   * Waits at most `timeoutMs` for buffered log lines to reach the log destination; never blocks
   * the event loop (a stalled log reader costs the shutdown this long, no more).
   */
  async flushLogs(timeoutMs: number): Promise<void> {
    const destination = this.#destination as DestinationStream & { flushWithin?(ms: number): Promise<boolean> };
    await destination.flushWithin?.(timeoutMs);
  }

  /** Writes a line (already JSON, already redacted) straight to the log destination. */
  writeLogLine(line: string): void {
    this.#destination.write(line);
  }

  /** Requests being handled right now. */
  get inflight(): number {
    return this.#inflight.count;
  }

  get listeners(): BoundListener[] {
    return this.#servers.map(({ config, server, tls }) => toBound(config.name, server, tls ? 'https' : 'http'));
  }

  /** URL of the first listener, or of the one named. */
  url(name?: string): string {
    const found = name === undefined ? this.listeners[0] : this.listeners.find((listener) => listener.name === name);
    if (!found) throw new Error(`no listener named ${name}`);
    return found.url;
  }

  /** The admin listener's URL; throws when it is off (admin.enabled: false). */
  get adminUrl(): string {
    return this.#admin.url;
  }

  /** The probe listener's URL (`/healthz`, `/readyz` only), undefined when it is off (probes.enabled: false). */
  get probeUrl(): string | undefined {
    return this.#probes.url;
  }

  async #listen(): Promise<void> {
    const config = this.#runtime.config;
    const handlers = {
      runtime: () => this.#runtime,
      draining: () => this.#draining,
      overloaded: () => this.#inflight.overloaded(),
      onStart: () => this.#inflight.started(),
      onEnd: (outcome: RequestOutcome) => {
        this.#inflight.ended();
        this.#services.metrics.requestEnded(outcome);
        if (outcome.refused) this.alerts.recordAuthFailure(outcome.refused.consumer, outcome.refused.clientIp, outcome.refused.requestId);
        this.alerts.recordRequest(outcome);
      },
    };
    for (const listener of config.listeners) {
      this.#servers.push(await openClientListener(listener, { handlers, tlsDeps: this.#tlsDeps, loadTlsReload, metrics: this.#services.metrics }));
    }
    if (config.admin.enabled) {
      if (this.#role.admin) await this.#admin.listen(config);
      this.#adminPlane?.start();
    } else this.logger.warn({ event: 'admin.disabled' }, 'the admin listener is off (admin.enabled: false): no /healthz, /readyz, /metrics or admin API');
    await this.#probes.listen(config.probes);
    if (!config.bruteForce.enabled) this.logger.warn({ event: 'security.brute_force_disabled' }, 'brute-force protection is off (bruteForce.enabled: false): clients failing authentication are never blocked');
    if (config.admin.enabled && config.admin.token && !['127.0.0.1', '::1', 'localhost'].includes(config.admin.host)) {
      this.logger.warn({ event: 'admin.exposed', host: config.admin.host }, 'the admin API listens beyond loopback: keep it on a management network');
    }
    this.#ready = true;
    this.assessments.start();
    if (this.#role.duties) {
      this.#expiry.start();
      this.#crlRenewal.start();
      this.alerts.start();
    }
    this.logger.info({ event: 'gateway.started', listeners: this.listeners, admin: this.#admin.listening ? this.adminUrl : null, probes: this.probeUrl ?? null, routes: config.routes.length }, 'gateway started');
  }

  /** Swaps in a validated config (server/reloader.ts): one reload at a time; start-only changes are reported. */
  reload(config: GatewayConfig): Promise<ReloadResult> {
    return this.#reloader.reload(config);
  }

  /**
   * Applies the TLS part of reloaded listeners (certificates, CAs, CRLs, HSTS) to the running
   * servers; false when anything else about the listeners changed (that needs a restart).
   */
  #applyListenerTls(config: GatewayConfig): boolean {
    const same = (a: readonly ListenerConfig[], b: readonly ListenerConfig[]) =>
      JSON.stringify(a.map((l) => ({ ...l, tls: l.tls ? { mode: l.tls.clientCertificates.mode } : undefined }))) === JSON.stringify(b.map((l) => ({ ...l, tls: l.tls ? { mode: l.tls.clientCertificates.mode } : undefined })));
    if (!same(this.#servers.map((entry) => entry.config), config.listeners)) return false;
    this.#admin.applyTls(config);
    config.listeners.forEach((listener, index) => {
      const entry = this.#servers[index]!;
      const changed = JSON.stringify(entry.config.tls) !== JSON.stringify(listener.tls);
      entry.config = listener;
      if (changed) void this.reloadTls(listener.name);
    });
    return true;
  }

  /**
   * Loads a listener's certificate, key, CAs and CRLs again and swaps them in with
   * setSecureContext: connections already open keep theirs, new handshakes get the new ones.
   * A failure keeps the previous state serving, and says so.
   */
  async reloadTls(name: string): Promise<boolean> {
    const entry = this.#servers.find((candidate) => candidate.config.name === name);
    return entry?.tls ? (await loadTlsReload()).reloadListenerTls(entry, this.#tlsDeps) : false;
  }

  /** The listener's server, for tests and tools (ticket keys, connections). */
  listenerServer(name: string): Server | undefined {
    return this.#servers.find((candidate) => candidate.config.name === name)?.server;
  }

  /** The listener's TLS state, for tests and tools. */
  listenerTls(name: string): ListenerTls | undefined {
    return this.#servers.find((candidate) => candidate.config.name === name)?.tls;
  }

  /** Reads the config file again; an invalid one is refused, logged, and the old one keeps serving. */
  reloadFromFile(): Promise<ReloadResult> {
    return this.#reloader.reloadFromFile();
  }

  /** Reloads when the config file, or a file its policies read, changes. */
  watchConfigFile(): void {
    this.#reloader.watch();
  }

  /**
   * Graceful shutdown: stop accepting, let in-flight requests finish up to the drain deadline,
   * then close what is left, and the upstream pools.
   */
  async close(drainTimeoutMs = this.#runtime.config.lifecycle.drainTimeoutMs): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#reloader.close();
    this.#expiry.stop();
    this.#crlRenewal.stop();
    await this.assessments.stop();
    const logger = this.logger;
    logger.info({ event: 'gateway.draining', inflight: this.#inflight.count, drainTimeoutMs }, 'shutting down: draining in-flight requests');
    const closed = this.#servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const { server } of this.#servers) server.closeIdleConnections();
    await this.#inflight.drained(Date.now() + drainTimeoutMs);
    if (this.#inflight.count > 0) logger.warn({ event: 'gateway.drain_timeout', inflight: this.#inflight.count }, 'drain deadline passed: closing remaining connections');
    for (const { server } of this.#servers) server.closeAllConnections();
    await Promise.all(closed);
    for (const entry of this.#servers) await closeListenerEntryTls(entry);
    await this.#admin.close();
    await this.#adminPlane?.stop();
    await this.#probes.close();
    await this.alerts.close();
    await this.#runtime.close();
    await this.#tracing?.shutdown().catch(() => {});
    await this.#services.close();
    await this.#outbound.close();
    logger.info({ event: 'gateway.stopped' }, 'gateway stopped');
    logger.flush();
  }
}
