/**
 * Hardened TLS settings for the listeners and for upstream connections: the profile of
 * net/tls-profile.ts (versions, AEAD forward-secret suites, key-exchange groups), plus what only
 * a server decides: session tickets (off unless enabled; then rotated, see listener-tls.ts).
 * Certificates and keys come from files or secret references; files are read here,
 * synchronously, at start and on reload only.
 */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { ListenerTlsConfig } from '../config/schema.js';
import { groupList, HARDENED_CIPHERS } from '../net/tls-profile.js';

export { HARDENED_CIPHERS } from '../net/tls-profile.js';

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
