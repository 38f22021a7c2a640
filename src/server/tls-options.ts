/**
 * Hardened TLS settings for the listeners and for upstream connections. TLS 1.2 at least (1.3
 * preferred: OpenSSL negotiates the highest both sides support), and for TLS 1.2 only ECDHE
 * (forward secret) with AEAD ciphers (GCM, ChaCha20-Poly1305): no CBC, no static RSA key
 * exchange, no RC4/3DES (RFC 9325 §4.2). Certificates and keys come from files or secret
 * references; files are read here, synchronously, at start and on reload only.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { ListenerTlsConfig } from '../config/schema.js';

/** TLS 1.3 suites (all AEAD and forward secret), then the TLS 1.2 ECDHE AEAD suites, strongest first. */
export const HARDENED_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

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
    honorCipherOrder: true,
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
