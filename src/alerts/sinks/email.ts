/**
 * The e-mail sink: one message per notification over SMTP (RFC 5321), sent with nodemailer, as
 * plain text and HTML (multipart/alternative, RFC 2046 §5.1.4). The connection is TLS-protected
 * or nothing is sent: `security: starttls` (the default, port 587, RFC 6409) requires the server
 * to offer STARTTLS (RFC 3207) and upgrades before any command that carries the message or the
 * credentials; `security: tls` is implicit TLS from the first byte (port 465, RFC 8314 §3.3).
 * There is no plaintext mode. The server's certificate is verified against the system CAs or
 * `caFile`, with the gateway's hardened TLS profile.
 *
 * The TCP connection is made by the gateway's outbound connector, so the egress guard sees (and
 * may refuse) it like every other outbound connection. The SMTP password is taken by reference
 * only; errors carry the SMTP reply code and nodemailer's error code, never the server's text
 * (which may echo what it was sent) and never a credential.
 */
import { isIP, type Socket } from 'node:net';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { DEFAULT_OUTBOUND_TLS, type Outbound } from '../../outbound/index.js';
import { AlertDeliveryError, type AlertNotification, type AlertSink } from '../notification.js';
import { revealFor, type SecretSource } from './http-delivery.js';
import { renderEmail } from './email-render.js';

export interface EmailSinkOptions {
  readonly name: string;
  readonly host: string;
  /** Default 587 (starttls) or 465 (tls). */
  readonly port?: number | undefined;
  /** Default starttls. */
  readonly security?: 'starttls' | 'tls' | undefined;
  readonly username?: string | undefined;
  /** The SMTP AUTH password (a SecretValue), read at each send. */
  readonly password?: SecretSource | undefined;
  readonly from: string;
  readonly to: readonly string[];
  /** PEM CA certificates (the content of `caFile`); default: the system CAs. */
  readonly ca?: string | undefined;
  readonly outbound: Outbound;
  /** Connect, greeting and per-reply timeout, ms (default 10000). */
  readonly timeoutMs?: number | undefined;
}

/**
 * The error for a failed send. SMTP reply codes (RFC 5321 §4.2.1): 4yz is a transient failure
 * (retry), 5yz a permanent one. Without a reply: a TLS failure (no STARTTLS offered, a certificate
 * that does not verify) or refused credentials are permanent until someone fixes the config; a
 * connection failure or timeout is retryable.
 */
export function emailError(label: string, error: unknown): AlertDeliveryError {
  if (error instanceof AlertDeliveryError) return error;
  const failure = (error ?? {}) as { code?: unknown; originalCode?: unknown; responseCode?: unknown; name?: unknown };
  const code = typeof failure.code === 'string' && /^[A-Z0-9_]{1,32}$/.test(failure.code) ? failure.code : undefined;
  const original = typeof failure.originalCode === 'string' && /^[A-Z0-9_]{1,48}$/.test(failure.originalCode) ? failure.originalCode : undefined;
  const reply = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  if (failure.name === 'OutboundRefusedError' || failure.name === 'EgressDeniedError') return new AlertDeliveryError(`${label}: the connection was refused by the egress rules (docs/outbound.md)`, false);
  if (reply !== undefined) return new AlertDeliveryError(`${label}: the SMTP server answered ${reply}${code ? ` (${code})` : ''}`, reply >= 400 && reply < 500);
  // A certificate that does not verify (Node's X509_V_ERR names, ERR_TLS_CERT_ALTNAME_INVALID): no retry helps until someone fixes the server or caFile.
  const certificate = [code, original].find((value) => value !== undefined && CERTIFICATE_ERROR.test(value));
  if (certificate !== undefined) return new AlertDeliveryError(`${label}: the SMTP server's certificate did not verify (${certificate})`, false);
  if (code === 'ETLS' || code === 'EAUTH') return new AlertDeliveryError(`${label}: ${code === 'ETLS' ? 'TLS could not be established (STARTTLS not offered, or the certificate did not verify)' : 'the SMTP server refused the credentials'} (${code})`, false);
  return new AlertDeliveryError(`${label}: no answer from the SMTP server (${original ?? code ?? 'network error'})`, true);
}

/** The codes of certificate verification failures (OpenSSL's, as Node names them, and Node's own name check). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

/** Makes an e-mail sink (nothing is connected until the first send). */
export function createEmailSink(options: EmailSinkOptions): AlertSink {
  const label = `email sink "${options.name}"`;
  const security = options.security ?? 'starttls';
  const port = options.port ?? (security === 'tls' ? 465 : 587);
  const timeoutMs = options.timeoutMs ?? 10000;
  // SNI carries a host name only (RFC 6066 §3: never an IP literal); the certificate is checked against the host either way.
  const tls = { ...DEFAULT_OUTBOUND_TLS, ...(options.ca === undefined ? {} : { ca: options.ca }), ...(isIP(options.host) === 0 ? { servername: options.host } : {}) };
  // The egress guard sees the first byte's protocol: plain TCP for STARTTLS (declared as http:), TLS for implicit TLS (https:).
  const connect = options.outbound.connector('alert-sink', { tls, connectTimeoutMs: timeoutMs });
  // The server is the operator's (config, not a secret): declared to the egress guard under the sink's name, as the HTTP sinks declare theirs.
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  options.outbound.egress.declare(`alerts.sinks.${options.name}`, [`${security === 'tls' ? 'https' : 'http'}://${host}:${port}`], 'operator');
  if ((options.username === undefined) !== (options.password === undefined)) throw new Error(`${label}: username and password go together`);

  function getSocket(_options: unknown, callback: (error: Error | null, socketOptions?: { connection: Socket; secured?: boolean }) => void): void {
    const protocol = security === 'tls' ? 'https:' : 'http:';
    connect({ protocol, hostname: options.host, host: options.host, port: String(port), ...(isIP(options.host) === 0 ? { servername: options.host } : {}), localAddress: null, httpSocket: undefined }, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('no socket'));
      callback(null, { connection: socket, ...(security === 'tls' ? { secured: true } : {}) });
    });
  }

  return {
    name: options.name,
    type: 'email',
    async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
      const auth = options.username === undefined ? undefined : { user: options.username, pass: revealFor(label, 'password', options.password!) };
      const transportOptions: SMTPTransport.Options & { getSocket: typeof getSocket } = {
        host: options.host,
        port,
        secure: security === 'tls',
        // STARTTLS or nothing: nodemailer refuses to go on when the server does not offer it.
        requireTLS: security === 'starttls',
        ignoreTLS: false,
        tls,
        ...(auth ? { auth } : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        // nodemailer's logger would print the SMTP dialogue, AUTH included.
        logger: false,
        debug: false,
        getSocket,
      };
      const transport = nodemailer.createTransport(transportOptions);
      const { subject, text, html } = renderEmail(notification);
      try {
        await transport.sendMail({
          from: options.from,
          to: [...options.to],
          subject,
          text,
          html,
          headers: { 'X-Portcullis-Notification-Id': notification.id, 'X-Portcullis-Group-Key': notification.groupKey },
          signal,
        } as SendMailOptions);
      } catch (error) {
        throw emailError(label, error);
      } finally {
        transport.close();
      }
    },
  };
}
