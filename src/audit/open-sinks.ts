/**
 * Builds the sinks of `audit.sinks` (config/audit-sinks-schema.ts): reads their CA and client
 * certificate files, resolves nothing secret into a log line, and makes every network sink's
 * connections through the gateway's Outbound (connect hook, hardened TLS profile). Throws at start
 * for a sink that cannot be built (an unreadable CA file, a malformed webhook secret).
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Clock } from '../core/clock.js';
import type { AuditSinkConfig } from '../config/audit-sinks-schema.js';
import { DEFAULT_OUTBOUND_TLS, type Outbound, type OutboundTls } from '../outbound/index.js';
import { createJsonLinesSink } from './sinks/jsonl-sink.js';
import type { AuditSink } from './sinks/sink.js';
import { EXAMPLE_ENTERPRISE_NUMBER, LOG_AUDIT_FACILITY } from './sinks/syslog-format.js';
import { createSyslogTlsSink } from './sinks/syslog-tls-sink.js';
import { createWebhookSink } from './sinks/webhook-sink.js';

export interface OpenSinkDeps {
  readonly outbound: Outbound;
  readonly clock: Clock;
  /** Where `stdout` sinks write (the process's standard output; tests pass their own stream). */
  readonly stdout: Writable;
}

function tlsFor(sink: AuditSinkConfig): OutboundTls {
  return {
    ...DEFAULT_OUTBOUND_TLS,
    ...(sink.caFile === undefined ? {} : { ca: readFileSync(sink.caFile, 'utf8') }),
    ...(sink.certFile === undefined ? {} : { cert: readFileSync(sink.certFile, 'utf8') }),
    ...(sink.keyFile === undefined ? {} : { key: readFileSync(sink.keyFile, 'utf8') }),
  };
}

export function openSink(sink: AuditSinkConfig, deps: OpenSinkDeps): AuditSink {
  switch (sink.type) {
    case 'file':
      return createJsonLinesSink({ name: sink.name, target: { path: sink.path! } });
    case 'stdout':
      return createJsonLinesSink({ name: sink.name, target: { stream: deps.stdout } });
    case 'syslog':
      return createSyslogTlsSink({
        name: sink.name,
        host: sink.host!,
        port: sink.port ?? 6514,
        connect: deps.outbound.connector('audit-sink', { tls: tlsFor(sink), connectTimeoutMs: sink.connectTimeoutMs ?? 5000 }),
        format: { facility: sink.facility ?? LOG_AUDIT_FACILITY, appName: sink.appName ?? 'portcullis', hostname: sink.hostname, enterpriseNumber: sink.enterpriseNumber ?? EXAMPLE_ENTERPRISE_NUMBER },
      });
    case 'webhook': {
      const url = new URL(sink.url!);
      const timeoutMs = sink.timeoutMs ?? 10000;
      const dispatcher = deps.outbound.originPool('audit-sink', url.origin, { tls: tlsFor(sink), connectTimeoutMs: Math.min(timeoutMs, 10000), headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      return createWebhookSink({ name: sink.name, url: sink.url!, secret: sink.secret!.reveal(), dispatcher, ownsDispatcher: true, timeoutMs, clock: deps.clock });
    }
  }
}
