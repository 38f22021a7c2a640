/**
 * What `portcullis assess` trusts (docs/assess.md#trust): the default roots, plus the CAs of
 * `--ca-file` (or an upstream's `tls.caFiles` under `--config`) when given. A private CA is added
 * to the defaults, never put in their place: a provider whose public certificate verifies must
 * still verify when a private CA is named beside it.
 *
 * The default roots are what Node trusts when a connection names no CA: its bundled Mozilla store
 * (`tls.rootCertificates`) and the PEM file named by NODE_EXTRA_CA_CERTS. Node's `ca` option
 * replaces that whole store, and `tls.rootCertificates` does not list the NODE_EXTRA_CA_CERTS
 * certificates, so both are passed along explicitly. (A node started with --use-openssl-ca or
 * --use-system-ca trusts its OS store by default; those certificates are not added: name them in
 * the CA file.)
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { OutboundTls } from '../../outbound/index.js';
import type { AssessTarget } from '../finding.js';

/** PEM texts of the default roots: Node's bundled store, then NODE_EXTRA_CA_CERTS's file when it reads. */
export function defaultRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = env.NODE_EXTRA_CA_CERTS;
  if (!extra) return [...rootCertificates];
  try {
    return [...rootCertificates, readFileSync(extra, 'utf8')];
  } catch {
    // Node itself warned at start and ignored the file (it reads it once, before any code runs): so does this.
    return [...rootCertificates];
  }
}

/**
 * The `ca` option for a connection to `target`: undefined without a CA file (Node's default store,
 * the same roots), otherwise the default roots followed by the file's PEM text.
 * Throws when the CA file cannot be read.
 */
export function trustedCas(target: Pick<AssessTarget, 'caFile'>): string[] | undefined {
  if (target.caFile === undefined) return undefined;
  return [...defaultRoots(), readFileSync(target.caFile, 'utf8')];
}

/**
 * TLS of the assessment's own HTTP requests that must reach whatever the provider speaks (the HSTS
 * header, RFC 6797): TLS 1.0 and up at `@SECLEVEL=0`, so a TLS 1.0-only server is still read (its
 * protocol is the TLS check's finding, not a reason to skip HSTS). The certificate is verified
 * against `trustedCas`: RFC 6797 §8.1 has a client ignore HSTS received over a connection with
 * certificate errors, so such a header is not counted.
 */
export function assessClientTls(target: Pick<AssessTarget, 'caFile'>): OutboundTls {
  const ca = trustedCas(target);
  return { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0', rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }) };
}
