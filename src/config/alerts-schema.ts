/**
 * The `alerts` section (docs/alerts.md): the sinks (receivers) notifications go to, overrides of
 * the built-in rules, the routes that pick sinks by severity and labels, grouping and delivery.
 * The rules themselves are code (alerts/builtin-rules.ts); the config turns them off, changes their
 * severity, `for` duration, runbook link and thresholds.
 *
 * A sink is one object with a `type`; which other keys a type takes is the table ALERT_SINK_KEYS,
 * checked by `checkAlerts` (so a misplaced key is reported by name, as for audit sinks). Adding a
 * sink type: its name in ALERT_SINK_TYPES, its keys in ALERT_SINK_KEYS and ALERT_SINK_PROPERTIES,
 * and its constructor in alerts/sink-factory.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import type { ConfigIssue } from '../core/policy.js';
import { NAME, Secret } from './secret-schema.js';
import { ALERT_RULES } from '../core/alert-rules.js';

export const ALERT_SINK_TYPES = ['webhook', 'slack', 'teams', 'pagerduty', 'email'] as const;
export type AlertSinkType = (typeof ALERT_SINK_TYPES)[number];

/** The keys each sink type takes besides `type`. */
export const ALERT_SINK_KEYS: Record<AlertSinkType, { required: readonly string[]; optional: readonly string[] }> = {
  webhook: { required: ['url', 'secret'], optional: ['previousSecret', 'caFile', 'timeoutMs'] },
  slack: { required: ['webhookUrl'], optional: ['timeoutMs'] },
  teams: { required: ['webhookUrl'], optional: ['timeoutMs'] },
  pagerduty: { required: ['routingKey'], optional: ['url', 'timeoutMs'] },
  email: { required: ['host', 'from', 'to'], optional: ['port', 'security', 'username', 'password', 'caFile', 'timeoutMs'] },
};

/** Every key any sink type takes (each checked against its type by checkAlerts). */
export const ALERT_SINK_PROPERTIES = {
  url: Type.Optional(Type.String({ pattern: '^https?://', description: 'webhook: where each notification is POSTed; pagerduty: the Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue). https; http only to a loopback address. Declared to the egress rules.' })),
  secret: Type.Optional(Secret('webhook: the Standard Webhooks signing secret (whsec_ + base64 of 24 to 64 random bytes), by reference.')),
  previousSecret: Type.Optional(Secret('webhook: during a rotation, the secret being retired: every message is signed with both, so receivers verify with either.')),
  webhookUrl: Type.Optional(Secret('slack: the incoming webhook URL (https://hooks.slack.com/services/…); teams: the Workflows trigger URL ("Post to a channel when a webhook request is received"). By reference: the URL is the credential.')),
  routingKey: Type.Optional(Secret('pagerduty: the integration key (routing_key) of an Events API v2 integration, by reference.')),
  host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.:-]{1,253}$', description: 'email: the SMTP submission server (its certificate must name it), or an IP address.' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'email: the SMTP port (default 587 for starttls, 465 for tls).' })),
  security: Type.Optional(StringEnum(['starttls', 'tls'], { description: 'email: starttls (default; RFC 3207, required: a server that does not offer it gets nothing) or tls (implicit TLS, RFC 8314). No plaintext mode.' })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'email: the SMTP AUTH user name (with password).' })),
  password: Type.Optional(Secret('email: the SMTP AUTH password, by reference.')),
  from: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'email: the From address, e.g. "Portcullis <alerts@example.com>".' })),
  to: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { minItems: 1, maxItems: 50, description: 'email: the recipients.' })),
  caFile: Type.Optional(Type.String({ filePath: true, description: 'webhook, email: PEM CA bundle the receiver\'s certificate is checked against (default: the system CAs).' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120000, description: 'Time for one POST to be answered (email: for connecting, the greeting and each reply); default 10000.' })),
};

export const AlertSinkSchema = Type.Object(
  {
    type: StringEnum(ALERT_SINK_TYPES, { description: 'webhook: a JSON POST signed per Standard Webhooks; slack: a Block Kit message to an incoming webhook; teams: an Adaptive Card to a Workflows webhook; pagerduty: Events API v2 trigger/resolve; email: SMTP with STARTTLS (docs/alerts.md#sinks).' }),
    ...ALERT_SINK_PROPERTIES,
  },
  { additionalProperties: false, description: 'A receiver of alert notifications.' },
);

const Severity = (description: string, withDefault = false) =>
  StringEnum(['critical', 'warning', 'info'], withDefault ? { default: 'warning', description } : { description });

const RuleOverride = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'false turns the rule off (every built-in rule is on by default).' })),
    severity: Type.Optional(Severity('The severity its alerts carry (default: the rule\'s, docs/alerts.md).')),
    forSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400, description: 'How long the condition must hold before the alert fires.' })),
    runbookUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Link sent with its alerts (default: docs/alerts.md#<rule>).' })),
    thresholds: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,63}$' }), Type.Number(), { description: 'Threshold values by name, replacing the rule\'s defaults (names per rule in docs/alerts.md; an unknown name is refused).' })),
  },
  { additionalProperties: false, description: 'Changes to one built-in rule.' },
);

const Matchers = (description: string) =>
  Type.Record(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' }), Type.String({ maxLength: 200 }), { description });

const AlertRoute = Type.Object(
  {
    match: Matchers('Labels an alert must carry, exactly (`rule`, `severity`, `route`, `upstream`, `consumer`, `node`, …); empty matches every alert.'),
    sinks: Type.Array(Type.String({ pattern: NAME }), { minItems: 1, uniqueItems: true, description: 'The sinks (names under alerts.sinks) its notifications go to.' }),
    continue: Type.Boolean({ default: false, description: 'true: an alert this route matched is also tried against the routes after it.' }),
  },
  { additionalProperties: false, description: 'Which sinks the alerts it matches go to.' },
);

export const AlertsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'false: no rule is evaluated and nothing is sent.' }),
    evaluationIntervalSeconds: Type.Integer({ minimum: 1, maximum: 600, default: 15, description: 'How often every rule is evaluated (counts are kept in memory between evaluations).' }),
    sinks: Type.Record(Type.String({ pattern: NAME }), AlertSinkSchema, { default: {}, description: 'Receivers by name.' }),
    rules: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), RuleOverride, { default: {}, description: 'Overrides of built-in rules by rule name (docs/alerts.md#rules).' }),
    routes: Type.Array(AlertRoute, { default: [], description: 'Tried in order: the first that matches (and those after it while `continue` is true) name the sinks. An alert no route matches goes to every sink.' }),
    groupBy: Type.Array(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' }), { default: ['rule'], description: 'Alerts with the same values of these labels are sent as one notification (Alertmanager\'s group_by).' }),
    groupWaitSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30, description: 'How long a new group waits for more alerts before its first notification (group_wait).' }),
    groupIntervalSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'Least time between two notifications of a group whose alerts changed (group_interval).' }),
    repeatIntervalSeconds: Type.Integer({ minimum: 60, maximum: 604800, default: 14400, description: 'A group still firing, unchanged, is notified again after this long (repeat_interval).' }),
    delivery: Type.Object(
      {
        maxQueued: Type.Integer({ minimum: 1, maximum: 100000, default: 1000, description: 'Notifications kept waiting for delivery (in the store when there is one); past it the oldest are dropped, logged (alerts.notification_dropped) and counted.' }),
        retryMinSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 5, description: 'First wait after a failed delivery; doubled after each further failure (a receiver\'s Retry-After is honoured when longer).' }),
        retryMaxSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'Longest wait between two attempts.' }),
        giveUpAfterSeconds: Type.Integer({ minimum: 60, maximum: 604800, default: 86400, description: 'A notification not delivered within this long is dropped (alerts.notification_dropped).' }),
        sinkFailingAfterSeconds: Type.Integer({ minimum: 60, maximum: 86400, default: 900, description: 'A sink failing for this long raises the alert_sink_failing meta-alert, sent to every other sink.' }),
      },
      { additionalProperties: false, default: {}, description: 'How notifications are delivered.' },
    ),
  },
  { additionalProperties: false, default: {}, description: 'Alert rules, routing and sinks (docs/alerts.md).' },
);

export type AlertsConfig = Static<typeof AlertsSchema>;
export type AlertSinkConfig = Static<typeof AlertSinkSchema>;
export type AlertRouteConfig = AlertsConfig['routes'][number];
export type AlertRuleOverride = Static<typeof RuleOverride>;

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The checks the schema cannot say: each sink type's own keys, webhook URLs, routes naming known
 * sinks, overrides naming known rules and thresholds (core/alert-rules.ts).
 */
export function checkAlerts(alerts: unknown): ConfigIssue[] {
  const rules = new Map(Object.entries(ALERT_RULES).map(([name, rule]) => [name, Object.keys(rule.thresholds)]));
  const issues: ConfigIssue[] = [];
  if (!isObject(alerts)) return issues;
  const sinks = isObject(alerts.sinks) ? alerts.sinks : {};
  for (const [name, sink] of Object.entries(sinks)) {
    if (!isObject(sink)) continue;
    const path = `alerts.sinks.${name}`;
    const keys = ALERT_SINK_KEYS[sink.type as AlertSinkType];
    if (!keys) continue;
    for (const key of keys.required) if (sink[key] === undefined) issues.push({ path: `${path}.${key}`, message: `is required for type ${String(sink.type)}` });
    for (const key of Object.keys(sink)) {
      if (key !== 'type' && !keys.required.includes(key) && !keys.optional.includes(key)) issues.push({ path: `${path}.${key}`, message: `does not apply to type ${String(sink.type)}` });
    }
    if (typeof sink.url === 'string') checkSinkUrl(sink.url, `${path}.url`, issues);
  }
  if (Array.isArray(alerts.routes)) {
    alerts.routes.forEach((route: unknown, i) => {
      if (!isObject(route) || !Array.isArray(route.sinks)) return;
      route.sinks.forEach((sink: unknown, j) => {
        if (typeof sink === 'string' && !(sink in sinks)) issues.push({ path: `alerts.routes[${i}].sinks[${j}]`, message: `names no sink in alerts.sinks ("${sink}")` });
      });
    });
  }
  for (const [name, override] of Object.entries(isObject(alerts.rules) ? alerts.rules : {})) {
    const thresholds = rules.get(name);
    if (!thresholds) {
      issues.push({ path: `alerts.rules.${name}`, message: `is not a built-in rule (known: ${[...rules.keys()].join(', ')})` });
      continue;
    }
    const given = isObject(override) && isObject(override.thresholds) ? override.thresholds : {};
    for (const key of Object.keys(given)) {
      if (!thresholds.includes(key)) issues.push({ path: `alerts.rules.${name}.thresholds.${key}`, message: `is not a threshold of ${name} (it has: ${thresholds.join(', ') || 'none'})` });
    }
  }
  return issues;
}

function checkSinkUrl(value: string, path: string, issues: ConfigIssue[]): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    issues.push({ path, message: 'is not a URL' });
    return;
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOST.test(url.hostname)) issues.push({ path, message: 'must be https (http only to a loopback address): alerts and their signature would cross the network in the clear' });
  if (url.username !== '' || url.password !== '') issues.push({ path, message: 'must not hold credentials (the signature authenticates the gateway)' });
}
