/**
 * The config keys of audit streaming and the audited security events, inside the `audit`
 * section (docs/configuration.md#audit, docs/audit.md). Kept in their own file: schema.ts is at its
 * size limit, and audit-core's checkpoint keys live beside these in the same section.
 *
 * A sink is one object with a `type`; which other keys a type takes is checked by
 * `checkAuditSinks` (semantics), so a misplaced key is reported by name instead of as a failed
 * union branch.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import type { ConfigIssue } from '../core/policy.js';
import { Secret } from './secret-schema.js';

export const AUDIT_SINK_TYPES = ['file', 'stdout', 'syslog', 'webhook'] as const;

/** The keys each sink type takes besides the common ones. */
const TYPE_KEYS: Record<(typeof AUDIT_SINK_TYPES)[number], { required: readonly string[]; optional: readonly string[] }> = {
  file: { required: ['path'], optional: [] },
  stdout: { required: [], optional: [] },
  syslog: { required: ['host'], optional: ['port', 'caFile', 'certFile', 'keyFile', 'facility', 'appName', 'hostname', 'enterpriseNumber', 'connectTimeoutMs'] },
  webhook: { required: ['url', 'secret'], optional: ['caFile', 'timeoutMs'] },
};
const COMMON_KEYS = ['name', 'type', 'onFailure', 'batchSize', 'maxBacklogRecords', 'pollIntervalMs', 'retryMinMs', 'retryMaxMs'];

export const AuditSinkSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'The sink\'s name: its delivery cursor in the store, its metrics and log lines use it (renaming a sink starts it afresh at the chain\'s head).' }),
    type: StringEnum(AUDIT_SINK_TYPES, { description: 'file: JSON lines appended to `path`; stdout: JSON lines on standard output; syslog: RFC 5424 messages over TLS (RFC 5425) to `host`; webhook: a signed POST per record to `url` (Standard Webhooks).' }),
    onFailure: StringEnum(['block', 'buffer'], { default: 'buffer', description: 'While the sink fails: block refuses admin writes with 503 audit.sink_unavailable until it is back; buffer lets them through and delivers the kept records, in order, when it is back (bounded by maxBacklogRecords).' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Records read and sent per round.' }),
    maxBacklogRecords: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 1_000_000, description: 'buffer only (block never skips a record): most records kept for the sink while it fails; past it the oldest are skipped for this sink (logged audit.sink_records_skipped, counted). They stay in the chain and in audit export.' }),
    pollIntervalMs: Type.Integer({ minimum: 50, maximum: 60000, default: 1000, description: 'How often the chain is checked for records without a local commit (writes of other nodes, a lapsed lease).' }),
    retryMinMs: Type.Integer({ minimum: 10, maximum: 600000, default: 1000, description: 'First wait after a failed delivery; doubled after each further failure.' }),
    retryMaxMs: Type.Integer({ minimum: 10, maximum: 3600000, default: 60000, description: 'Longest wait between two delivery attempts.' }),
    path: Type.Optional(Type.String({ filePath: true, description: 'file: the JSON-lines file (created 0600), relative to the config file\'s folder.' })),
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.:-]{1,253}$', description: 'syslog: the collector\'s host name (its certificate must name it) or IP address.' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'syslog: the collector\'s port (default 6514: syslog over TLS, RFC 5425 §4.1).' })),
    caFile: Type.Optional(Type.String({ filePath: true, description: 'syslog, webhook: PEM CA bundle the server\'s certificate is checked against (default: the system CAs).' })),
    certFile: Type.Optional(Type.String({ filePath: true, description: 'syslog: PEM client certificate, for collectors that authenticate their clients (RFC 5425 §5.2).' })),
    keyFile: Type.Optional(Type.String({ filePath: true, description: 'syslog: PEM private key of certFile.' })),
    facility: Type.Optional(Type.Integer({ minimum: 0, maximum: 23, description: 'syslog: facility (RFC 5424 Table 1; default 13, log audit).' })),
    appName: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,48}$', description: 'syslog: APP-NAME (default portcullis).' })),
    hostname: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,255}$', description: 'syslog: HOSTNAME (default: the machine\'s host name).' })),
    enterpriseNumber: Type.Optional(Type.Integer({ minimum: 1, description: 'syslog: the Private Enterprise Number of the structured-data id portcullis@N (default 32473, the number reserved for documentation, RFC 5612).' })),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60000, description: 'syslog: time for connecting and the TLS handshake (default 5000).' })),
    url: Type.Optional(Type.String({ pattern: '^https?://', description: 'webhook: where each record is POSTed (https; http only to a loopback address).' })),
    secret: Type.Optional(Secret('webhook: the signing secret (whsec_ + base64 of 24 to 64 random bytes), by reference.')),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120000, description: 'webhook: time for one POST to be answered (default 10000).' })),
  },
  { additionalProperties: false, description: 'One place each committed audit record is streamed to.' },
);

/** The keys of the `audit` section that this file owns (audit-core's keys sit beside them). */
export const auditSinksProperties = {
  sinks: Type.Array(AuditSinkSchema, { default: [], maxItems: 16, description: 'Where each committed audit record is streamed, in seq order, at least once (docs/audit.md#streaming-to-sinks).' }),
  deniedAttempts: Type.Object(
    {
      intervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'Denied admin requests (401/403) are counted per source IP and reason and written as one admin.auth_denied record per pair per interval.' }),
      maxSourcesPerInterval: Type.Integer({ minimum: 1, maximum: 100000, default: 1000, description: 'Distinct (IP, reason) pairs kept per interval; further denials are counted in one record for source "*".' }),
    },
    { additionalProperties: false, default: {}, description: 'Aggregation of denied admin attempts, so an unauthenticated client cannot grow the chain without bound.' },
  ),
  securityEvents: Type.Object(
    {
      flushIntervalMs: Type.Integer({ minimum: 100, maximum: 60000, default: 1000, description: 'How often data-plane security events (a revoked key used, a brute-force block) are written, in one batch, off the request path.' }),
      maxQueued: Type.Integer({ minimum: 1, maximum: 1000000, default: 10000, description: 'Events kept waiting for the next batch; past it they are dropped, logged (audit.security_events_dropped) and counted.' }),
    },
    { additionalProperties: false, default: {}, description: 'Security events of the data plane recorded in the audit trail.' },
  ),
};

export type AuditSinkConfig = Static<typeof AuditSinkSchema>;
const AuditSinksSection = Type.Object(auditSinksProperties);
export type AuditSinksSectionConfig = Static<typeof AuditSinksSection>;

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The checks the schema cannot say: each type's own keys, unique names, the webhook's scheme. */
export function checkAuditSinks(audit: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObject(audit) || !Array.isArray(audit.sinks)) return issues;
  const seen = new Map<string, number>();
  audit.sinks.forEach((sink: unknown, index) => {
    if (!isObject(sink)) return;
    const path = `audit.sinks[${index}]`;
    if (typeof sink.name === 'string') {
      const first = seen.get(sink.name);
      if (first !== undefined) issues.push({ path: `${path}.name`, message: `"${sink.name}" is already used by audit.sinks[${first}]` });
      else seen.set(sink.name, index);
    }
    const keys = TYPE_KEYS[sink.type as keyof typeof TYPE_KEYS];
    if (!keys) return;
    for (const key of keys.required) if (sink[key] === undefined) issues.push({ path: `${path}.${key}`, message: `is required for type ${String(sink.type)}` });
    for (const key of Object.keys(sink)) {
      if (!COMMON_KEYS.includes(key) && !keys.required.includes(key) && !keys.optional.includes(key)) issues.push({ path: `${path}.${key}`, message: `does not apply to type ${String(sink.type)}` });
    }
    if ((sink.certFile === undefined) !== (sink.keyFile === undefined)) issues.push({ path: `${path}.${sink.certFile === undefined ? 'certFile' : 'keyFile'}`, message: 'certFile and keyFile go together' });
    if (typeof sink.url === 'string') {
      let url: URL | undefined;
      try {
        url = new URL(sink.url);
      } catch {
        issues.push({ path: `${path}.url`, message: 'is not a URL' });
      }
      if (url && url.protocol === 'http:' && !LOOPBACK_HOST.test(url.hostname)) issues.push({ path: `${path}.url`, message: 'must be https (http only to a loopback address): records and their signature would cross the network in the clear' });
      if (url && (url.username !== '' || url.password !== '')) issues.push({ path: `${path}.url`, message: 'must not hold credentials (the signature authenticates the gateway)' });
    }
  });
  return issues;
}
