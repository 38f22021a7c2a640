/**
 * Hardened TLS settings for the listeners and for upstream connections: the profile of
 * net/tls-profile.ts (versions, AEAD forward-secret suites, key-exchange groups), plus what only
 * a server decides: session tickets (off unless enabled; then rotated, see listener-tls.ts).
 * Certificates and keys come from files or secret references; files are read here,
 * synchronously, at start and on reload only. In config/ because the start rules build these
 * options to check a deployment's certificates before start; server/ builds them the same way.
 */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { ListenerTlsConfig, UpstreamConfig } from './schema.js';
import { groupList, HARDENED_CIPHERS } from '../net/tls-profile.js';

/** Reads a PEM file; the error names the file and the option, never its content. */
export function readPemFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${option}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The secure-context options of an HTTPS listener, from its config (files read now). */
export function listenerSecureContext(tls: ListenerTlsConfig): SecureContextOptions {
  const cert = tls.cert?.reveal() ?? readPemFile(tls.certFile!, 'tls.certFile');
  const key = tls.key?.reveal() ?? readPemFile(tls.keyFile!, 'tls.keyFile');
  const clientCas = tls.clientCertificates.mode === 'off' ? [] : tls.clientCertificates.caFiles.map((file) => readPemFile(file, 'tls.clientCertificates.caFiles'));
  return {
    cert,
    key,
    passphrase: tls.keyPassphrase?.reveal(),
    minVersion: tls.minVersion,
    ciphers: HARDENED_CIPHERS,
    ecdhCurve: groupList(tls.groups),
    honorCipherOrder: true,
    // Without tickets no session can be resumed: Node keeps no server-side session cache unless
    // asked ('newSession'), so SSL_OP_NO_TICKET turns resumption off for TLS 1.2 and 1.3 alike.
    // With tickets, their lifetime hint is the key's (RFC 8446 §4.6.1): a ticket never outlives it.
    ...(tls.sessionTickets.enabled ? { sessionTimeout: tls.sessionTickets.keyRotationSeconds } : { secureOptions: constants.SSL_OP_NO_TICKET }),
    // Client certificates are checked against these CAs only (not the system store).
    ...(clientCas.length > 0 ? { ca: clientCas } : {}),
  };
}

/** The Strict-Transport-Security value for a listener (RFC 6797 §6.1), or undefined for none. */
export function hstsHeader(tls: ListenerTlsConfig): string | undefined {
  const { maxAgeSeconds, includeSubDomains, preload } = tls.hsts;
  if (maxAgeSeconds === 0) return undefined;
  return `max-age=${maxAgeSeconds}${includeSubDomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

/** Files whose change should reload the listener's certificate. */
export function watchedTlsFiles(tls: ListenerTlsConfig): string[] {
  if (!tls.watchFiles) return [];
  return [tls.certFile, tls.keyFile, ...(tls.clientCertificates.mode === 'off' ? [] : tls.clientCertificates.caFiles)].filter((file): file is string => file !== undefined);
}

/** TLS options for an upstream's https targets; certificates are always verified. */
export interface UpstreamTls {
  readonly ca?: string[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers: string;
  /** Key-exchange groups offered (OpenSSL list), X25519:P-256:P-384 unless the config widens it. */
  readonly ecdhCurve: string;
  readonly servername?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly passphrase?: string;
  readonly rejectUnauthorized: true;
}

/** Reads the upstream's TLS files once (at load); without a `tls` section: system CAs, TLS 1.2+. */
export function upstreamTls(config: UpstreamConfig): UpstreamTls {
  const tls = config.tls;
  const base = { minVersion: tls?.minVersion ?? 'TLSv1.2', ciphers: HARDENED_CIPHERS, ecdhCurve: groupList(tls?.groups), rejectUnauthorized: true } as const;
  if (!tls) return base;
  return {
    ...base,
    ca: tls.caFiles.length > 0 ? tls.caFiles.map((file) => readPemFile(file, 'upstreams.tls.caFiles')) : undefined,
    servername: tls.servername,
    cert: tls.certFile === undefined ? undefined : readPemFile(tls.certFile, 'upstreams.tls.certFile'),
    key: tls.key?.reveal() ?? (tls.keyFile === undefined ? undefined : readPemFile(tls.keyFile, 'upstreams.tls.keyFile')),
    passphrase: tls.keyPassphrase?.reveal(),
  };
}
