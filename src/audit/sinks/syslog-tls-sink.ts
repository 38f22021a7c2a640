/**
 * The syslog-over-TLS sink (RFC 5425): RFC 5424 messages in octet-counted frames on one kept-open
 * TLS connection, made through the gateway's outbound connector (so the connect hook, egress
 * rules included, sees it) with the hardened TLS profile and the server's certificate verified
 * (RFC 5425 §5.2: the client authenticates the server; a client certificate is sent when
 * configured, for servers that authenticate their clients).
 *
 * RFC 5425 has no application-level acknowledgement: a batch counts as delivered once the TLS
 * socket has taken every byte (the write callback). Bytes in flight when the connection breaks
 * may be lost without the sender learning of it; receivers that must not lose a record compare
 * `seq`s with the chain (`portcullis audit verify`) — documented in docs/audit.md.
 */
import { hostname } from 'node:os';
import { isIP, type Socket } from 'node:net';
import type { buildConnector } from 'undici';
import { octetCountedFrame, syslogMessage, type SyslogFormat } from './syslog-format.js';
import type { AuditSink, SinkRecord } from './sink.js';

export interface SyslogTlsSinkOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** An undici connector made by the gateway's Outbound (TLS options and connect hook inside). */
  readonly connect: buildConnector.connector;
  readonly format: Omit<SyslogFormat, 'hostname' | 'procId'> & { readonly hostname?: string | undefined };
}

export function createSyslogTlsSink(options: SyslogTlsSinkOptions): AuditSink {
  const format: SyslogFormat = { ...options.format, hostname: options.format.hostname ?? hostname(), procId: String(process.pid) };
  let socket: Socket | undefined;
  let broken: Error | undefined;

  function connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      options.connect({ protocol: 'https:', hostname: options.host, host: options.host, port: String(options.port), ...(isIP(options.host) === 0 ? { servername: options.host } : {}) } as buildConnector.Options, (error, connected) => {
        if (error || !connected) return reject(error ?? new Error('no socket'));
        broken = undefined;
        connected.setKeepAlive(true);
        // A closed or failed connection is noticed here and made anew at the next batch.
        connected.on('error', (failure) => {
          broken = failure;
        });
        connected.on('close', () => {
          if (socket === connected) socket = undefined;
        });
        // The collector sends nothing in RFC 5425; whatever it does send is read and dropped.
        connected.resume();
        resolve(connected);
      });
    });
  }

  return {
    name: options.name,
    async deliver(records: readonly SinkRecord[]): Promise<void> {
      if (socket && (broken || socket.destroyed || !socket.writable)) {
        socket.destroy();
        socket = undefined;
      }
      socket ??= await connect();
      const current = socket;
      const frames = Buffer.concat(records.map((record) => octetCountedFrame(syslogMessage(record, format))));
      await new Promise<void>((resolve, reject) => {
        current.write(frames, (error) => {
          if (error || broken) {
            current.destroy();
            if (socket === current) socket = undefined;
            return reject(error ?? broken);
          }
          resolve();
        });
      });
    },
    async close(): Promise<void> {
      const current = socket;
      socket = undefined;
      if (!current) return;
      await new Promise<void>((resolve) => {
        current.once('close', () => resolve());
        current.end();
        setTimeout(() => current.destroy(), 1000).unref();
      });
    },
  };
}
