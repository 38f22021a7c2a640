/**
 * Builds the sinks of `alerts.sinks` (config/alerts-schema.ts). The factory is a map from a sink's
 * `type` to its constructor: adding a type is one entry here (and its keys in the schema). Network
 * sinks make their connections through the gateway's Outbound (egress rules, hardened TLS
 * profile), so a sink's URL must be declared: config/egress-declarations.ts declares `url`.
 * Throws at start or reload for a sink that cannot be built (an unreadable CA file, a malformed
 * secret); the message never holds a secret.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { AlertSinkConfig, AlertSinkType, AlertsConfig } from '../config/alerts-schema.js';
import { DEFAULT_OUTBOUND_TLS, type Outbound, type OutboundTls } from '../outbound/index.js';
import type { AlertSink } from './notification.js';
import { createWebhookAlertSink } from './webhook-sink.js';
import { createEmailSink } from './sinks/email.js';
import { createPagerDutySink } from './sinks/pagerduty.js';
import { createSlackSink } from './sinks/slack.js';
import { createTeamsSink } from './sinks/teams.js';

export interface AlertSinkDeps {
  readonly outbound: Outbound;
  readonly clock: Clock;
}

export type AlertSinkConstructor = (name: string, config: AlertSinkConfig, deps: AlertSinkDeps) => AlertSink;

/** The outbound TLS of a sink: the hardened profile, with its own CA bundle when it names one. */
export function sinkTls(config: AlertSinkConfig): OutboundTls {
  return { ...DEFAULT_OUTBOUND_TLS, ...(config.caFile === undefined ? {} : { ca: readFileSync(config.caFile, 'utf8') }) };
}

function webhookSink(name: string, config: AlertSinkConfig, deps: AlertSinkDeps): AlertSink {
  const url = new URL(config.url!);
  const timeoutMs = config.timeoutMs ?? 10000;
  const dispatcher = deps.outbound.originPool('alert-sink', url.origin, { tls: sinkTls(config), connectTimeoutMs: Math.min(timeoutMs, 10000), headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
  const secrets = [config.secret!, ...(config.previousSecret ? [config.previousSecret] : [])];
  return createWebhookAlertSink({ name, url: config.url!, secrets: () => secrets.map((secret) => secret.reveal()), dispatcher, timeoutMs, clock: deps.clock });
}

/** A sink type's constructor, by `type`. */
export const ALERT_SINK_CONSTRUCTORS: Record<AlertSinkType, AlertSinkConstructor> = {
  webhook: webhookSink,
  slack: (name, config, deps) => createSlackSink({ name, url: config.webhookUrl!, outbound: deps.outbound, clock: deps.clock, timeoutMs: config.timeoutMs }),
  teams: (name, config, deps) => createTeamsSink({ name, url: config.webhookUrl!, outbound: deps.outbound, clock: deps.clock, timeoutMs: config.timeoutMs }),
  pagerduty: (name, config, deps) => createPagerDutySink({ name, routingKey: config.routingKey!, url: config.url, outbound: deps.outbound, clock: deps.clock, timeoutMs: config.timeoutMs }),
  email: (name, config, deps) =>
    createEmailSink({ name, host: config.host!, port: config.port, security: config.security, username: config.username, password: config.password, from: config.from!, to: config.to!, ca: config.caFile === undefined ? undefined : readFileSync(config.caFile, 'utf8'), outbound: deps.outbound, timeoutMs: config.timeoutMs }),
};

/** Every sink of the config, by name. Closes those already built when one fails. */
export async function createAlertSinks(sinks: AlertsConfig['sinks'], deps: AlertSinkDeps): Promise<Map<string, AlertSink>> {
  const built = new Map<string, AlertSink>();
  try {
    for (const [name, config] of Object.entries(sinks)) built.set(name, ALERT_SINK_CONSTRUCTORS[config.type](name, config, deps));
  } catch (error) {
    await Promise.all([...built.values()].map((sink) => sink.close?.().catch(() => {})));
    throw error;
  }
  return built;
}
