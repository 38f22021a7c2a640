/**
 * What a gateway opens before it is built (gateway.ts): its options, the log destination and the
 * logger, the outbound client and its egress rules, the node identity, the services over the store
 * (and the log buffer's health reported through them), and tracing when configured.
 */
import type { LookupFunction } from 'node:net';
import type { DestinationStream } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/schema.js';
import type { TracingConfig } from '../config/tracing-schema.js';
import type { UpstreamAssessor } from '../core/assessment.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { LogEventTap } from '../observability/log-tap.js';
import { BoundedDestination } from '../observability/log-destination.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { OtlpTracing } from '../observability/tracing.js';
import { Outbound, type ConnectHook } from '../outbound/index.js';
import type { ClusterRole } from './cluster-messages.js';
import type { SharedCountersOptions } from './counter-services.js';
import { applyEgress } from './egress-report.js';
import { nodeIdentity } from './node-identity.js';
import { openServices, type OpenedServices } from './services.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Where the config came from: needed for reload on SIGHUP or file change. */
  configPath?: string;
  /** Log destination (default: standard output). */
  logDestination?: DestinationStream;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Resolves every outbound host name (default: the system's resolver); tests inject DNS failures. */
  lookup?: LookupFunction;
  /** Sees, and may refuse, every outbound connection (outbound/connect-hook.ts). Default: allow all. */
  connectHook?: ConnectHook;
  /** Set in a `--workers N` worker (server/cluster-worker.ts): what it serves besides its listeners. */
  cluster?: ClusterRole;
  /**
   * Under `--workers`: the IPC channel to the primary (`process` in a cluster worker), which keeps
   * the in-memory limits for every worker (server/counter-services.ts). Undefined: this process
   * keeps its own, as with one process.
   */
  sharedCounters?: SharedCountersOptions;
  /**
   * Runs one assessment for continuous assessment (upstreams.<name>.assess, server/assessments.ts).
   * Default: every assess check (assess/continuous.ts); tests wrap it to hold a run back.
   */
  assessor?: UpstreamAssessor;
}

export interface GatewayParts {
  readonly destination: DestinationStream;
  readonly clock: Clock;
  /** The logger of the config at start (the runtime makes its own from then on). */
  readonly logger: Logger;
  readonly outbound: Outbound;
  /** This node's identity (`nodeId`, else `<host>:<port>`; node-identity.ts). */
  readonly node: string;
  readonly egress: ReturnType<typeof applyEgress>;
  readonly services: OpenedServices;
}

/** Opens the parts; on a failure, closes what it opened and throws. */
export async function openGatewayParts(options: GatewayOptions): Promise<GatewayParts> {
  const destination = options.logDestination ?? new BoundedDestination({ maxBufferBytes: options.config.logging.maxBufferBytes });
  const clock = options.clock ?? systemClock;
  const logEvents = new LogEventTap();
  const logger = createLogger({ level: options.config.logging.level, redactHeaders: options.config.logging.redactHeaders, maskDetected: options.config.logging.maskDetected, tap: logEvents }, destination);
  const outbound = new Outbound({ hook: options.connectHook, lookup: options.lookup });
  // A worker's parent is its node's primary: every worker of a node says the same (port 0 only).
  const node = nodeIdentity(options.config, { pid: options.cluster ? process.ppid : process.pid });
  const egress = applyEgress(outbound, options.config, logger);
  const services = await openServices(options.config, logger, clock, outbound, { schedules: options.cluster?.duties ?? true, sharedCounters: options.sharedCounters, env: options.env, logEvents, nodeId: node }).catch(async (error: unknown) => {
    await outbound.close();
    throw error;
  });
  if (destination instanceof BoundedDestination) {
    services.health.register('log');
    services.metrics.readLogBufferFrom(() => destination.buffered);
    destination.onDrop({
      dropped: (gone, lines) => {
        services.metrics.logLinesDropped.inc(lines);
        services.health.down('log', gone ? 'the log reader went away' : 'the log reader does not keep up: buffer full', { log: false });
      },
      flowing: () => services.health.up('log', { log: false }),
    });
  }
  return { destination, clock, logger, outbound, node, egress, services };
}

/** OTLP tracing (docs/observability.md#traces); the SDK is loaded only when tracing is configured, so off it costs nothing. */
export async function openTracing(config: TracingConfig, deps: { outbound: Outbound; logger: () => Logger; metrics: GatewayMetrics; nodeId: string }): Promise<OtlpTracing> {
  const { OtlpTracing } = await import('../observability/tracing.js');
  return new OtlpTracing(config, { outbound: deps.outbound, logger: deps.logger, nodeId: deps.nodeId, countFailed: (spans) => deps.metrics.tracingSpansFailed.inc(spans) });
}

type TlsReload = typeof import('./listener-tls-reload.js');
type CertificateInventory = typeof import('./certificate-inventory.js');
let tlsReload: Promise<TlsReload> | undefined;
let certificateInventory: Promise<CertificateInventory> | undefined;

// Both bring in @peculiar/x509 (~0.1 s of CPU to load): loaded only by a config that has
// certificates to handle, so a plain-HTTP gateway starts without them.
/** The listener TLS reload module, loaded once, on first use. */
export const loadTlsReload = (): Promise<TlsReload> => (tlsReload ??= import('./listener-tls-reload.js'));
/** The certificate inventory module, loaded once, on first use. */
export const loadCertificateInventory = (): Promise<CertificateInventory> => (certificateInventory ??= import('./certificate-inventory.js'));

/** Whether `config` holds certificates the inventory watches: TLS listeners, the private CA, upstream TLS. */
export function holdsCertificates(config: GatewayConfig): boolean {
  const upstreamTls = Object.values(config.upstreams).some((upstream) => upstream.tls !== undefined || upstream.targets.some((url) => /^https:/i.test(url)));
  return config.pki !== undefined || upstreamTls || config.listeners.some((listener) => listener.tls) || config.admin.tls !== undefined;
}
