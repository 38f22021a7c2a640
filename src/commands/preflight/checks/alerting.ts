/**
 * Whether anyone hears the alerts: no sink configured (alerts go nowhere but the log), and, live,
 * each sink's receiver reached through the gateway's outbound client (egress rules, the sink's
 * CA bundle): a connection and a TLS handshake, nothing sent. Only `--send-test-alert` sends a
 * sample alert, through the alert engine's test path (queue, deliverer, the sink's rendering and
 * signature, POST or SMTP), as `portcullis alerts test` does on a running gateway.
 */
import { Registry } from 'prom-client';
import type { AlertSinkConfig } from '../../../config/alerts-schema.js';
import { egressPolicyOf } from '../../../config/egress-declarations.js';
import type { GatewayConfig } from '../../../config/schema.js';
import { SecretValue } from '../../../config/secret.js';
import type { Clock } from '../../../core/clock.js';
import { AlertEngine } from '../../../alerts/alert-engine.js';
import { MemoryQueue } from '../../../alerts/queue.js';
import { createAlertSinks, sinkTls } from '../../../alerts/sink-factory.js';
import { createLogger } from '../../../observability/logger.js';
import { LogEventTap } from '../../../observability/log-tap.js';
import { DEFAULT_OUTBOUND_TLS, Outbound } from '../../../outbound/index.js';
import { CHECKLIST, defineCheck, finding } from '../check.js';
import { probeEndpoint } from '../probe.js';

const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** The rule whose sample `--send-test-alert` sends (labelled test: true; its text says nothing is wrong). */
const TEST_RULE = 'alert_sink_failing';

export const alertingCheck = defineCheck(
  'alerting',
  {
    noSink: {
      id: 'PF-ALERT-001',
      severity: 'medium',
      title: 'No alert sink configured (or alerts turned off): alerts reach only the log',
      why: CHECKLIST.monitoring,
      fix: 'Add a sink under `alerts.sinks` (webhook, slack, teams, pagerduty, email; docs/alerts.md#sinks) and check it with `portcullis preflight --send-test-alert`.',
    },
    sinkUnreachable: {
      id: 'PF-ALERT-002',
      severity: 'high',
      title: 'An alert sink that cannot be reached (no answer, a certificate that does not verify, refused by the egress rules), or that refused the test alert',
      why: CHECKLIST.monitoring,
      fix: "Check the sink's URL or host, the network path and its CA (`caFile`); declare it to the egress rules if they refuse it. `portcullis alerts test <rule> --sink <name>` sends a sample through a running gateway.",
    },
  },
  async ({ config, offline, secretsResolved, timeoutMs, clock, sendTestAlert }, rules) => {
    const sinks = Object.entries(config.alerts.sinks);
    if (!config.alerts.enabled) return [finding(rules.noSink, 'alerts.enabled is false: no rule is evaluated and nothing is sent', { path: 'alerts.enabled' })];
    if (sinks.length === 0) return [finding(rules.noSink, 'alerts.sinks is empty: an alert is written to the log only', { path: 'alerts.sinks' })];
    if (offline || !secretsResolved) return [];
    const outbound = new Outbound();
    outbound.egress.setPolicy(egressPolicyOf(config));
    try {
      const failures = await Promise.all(sinks.map(([name, sink]) => probeSink(outbound, name, sink, timeoutMs)));
      // The test alert goes only to sinks that answered: one that did not is reported once.
      const reached = sinks.filter((_, index) => failures[index] === undefined).map(([name]) => name);
      if (sendTestAlert && reached.length > 0) failures.push(...(await sendTestAlerts(config, reached, outbound, clock)));
      return failures.filter((failure) => failure !== undefined).map((failure) => finding(rules.sinkUnreachable, failure.message, failure.where));
    } finally {
      await outbound.close();
    }
  },
);

interface Failure {
  readonly message: string;
  readonly where: { readonly path: string; readonly url?: string };
}

/** Where a sink delivers: a URL (its origin only in messages: a Slack URL is the credential) or an SMTP host. */
function sinkEndpoint(sink: AlertSinkConfig): { url: URL; shown: string } | undefined {
  if (sink.type === 'email') {
    const security = sink.security ?? 'starttls';
    // STARTTLS begins in clear (RFC 3207): the probe is a TCP connection; implicit TLS gets its handshake.
    const url = new URL(`${security === 'tls' ? 'https' : 'http'}://${sink.host!.includes(':') ? `[${sink.host}]` : sink.host}:${sink.port ?? (security === 'tls' ? 465 : 587)}`);
    return { url, shown: `smtp ${url.host}` };
  }
  const raw = sink.type === 'slack' || sink.type === 'teams' ? (sink.webhookUrl instanceof SecretValue ? sink.webhookUrl.reveal() : undefined) : sink.type === 'pagerduty' ? (sink.url ?? PAGERDUTY_EVENTS_URL) : sink.url;
  if (raw === undefined) return undefined;
  const url = new URL(raw);
  return { url, shown: url.origin };
}

async function probeSink(outbound: Outbound, name: string, sink: AlertSinkConfig, timeoutMs: number): Promise<Failure | undefined> {
  const endpoint = sinkEndpoint(sink);
  if (!endpoint) return undefined;
  const connectTimeoutMs = Math.min(sink.timeoutMs ?? 10000, timeoutMs);
  const connector = outbound.connector('alert-sink', { tls: sink.caFile === undefined ? DEFAULT_OUTBOUND_TLS : sinkTls(sink), connectTimeoutMs });
  const outcome = await probeEndpoint(connector, endpoint.url, { timeoutMs: connectTimeoutMs });
  if (outcome.ok) return undefined;
  const what = outcome.kind === 'egress' ? 'is refused by the egress rules' : outcome.kind === 'certificate' ? 'presents a certificate that does not verify' : 'does not answer';
  return { message: `alert sink ${name} (${sink.type}) at ${endpoint.shown} ${what}: ${outcome.reason}`, where: { path: `alerts.sinks.${name}`, url: endpoint.shown } };
}

/**
 * Sends one sample alert to each sink of `names` through the alert engine's own test path
 * (alert-engine.ts `test`: the notification the engine builds, its queue, the deliverer, the sink's
 * rendering and signature), with an in-memory queue; the sinks that did not take it, with the reason
 * the deliverer logged (alerts.sink_failing).
 */
async function sendTestAlerts(config: GatewayConfig, names: readonly string[], outbound: Outbound, clock: Clock): Promise<Failure[]> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', redactHeaders: [] }, { write: (line: string) => void lines.push(line) });
  const sinks = Object.fromEntries(names.map((name) => [name, config.alerts.sinks[name]!]));
  const engine = await AlertEngine.open(
    { ...config.alerts, sinks },
    { clock, logger: () => logger, registry: new Registry(), events: new LogEventTap(), gateway: { routes: () => [], upstreams: () => [] }, queue: new MemoryQueue(), createSinks: (configured) => createAlertSinks(configured, { outbound, clock }), node: 'preflight' },
  );
  const failures: Failure[] = [];
  try {
    for (const name of names) {
      const { delivered } = await engine.test(TEST_RULE, name, 'portcullis preflight --send-test-alert');
      if (delivered) continue;
      const logged = lines.map((line) => JSON.parse(line) as { event?: string; sink?: string; reason?: string }).find((entry) => entry.event === 'alerts.sink_failing' && entry.sink === name);
      failures.push({ message: `alert sink ${name} (${sinks[name]!.type}) did not accept the test alert: ${logged?.reason ?? 'not delivered'}`, where: { path: `alerts.sinks.${name}` } });
    }
  } finally {
    await engine.close();
  }
  return failures;
}
