/**
 * What `start` would refuse besides the schema and the semantic checks, checked at load so that
 * `config validate` reports it too, with every other problem: secrets shorter than their minimum,
 * certificate and key files that cannot be read or do not make a TLS context (a key that does not
 * match its certificate, a wrong passphrase), and a geo database that is not there. Runs after
 * file paths are made absolute and (unless switched off) secret references are resolved.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { ConfigIssue } from '../core/policy.js';
import { listenerSecureContext, upstreamTls } from './tls-options.js';
import type { ListenerTlsConfig, UpstreamConfig } from './schema.js';
import { SecretValue, VaultSecretReference } from './secret.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Secrets with a minimum length, and why. The gateway refuses to start below it, so the same table
 * serves `config validate` and the start-up check (services.ts).
 */
export const SECRET_MINIMUMS: ReadonlyArray<{ path: readonly string[]; min: number; why: string }> = [
  { path: ['admin', 'token'], min: 24, why: 'a guessable bootstrap token would make the admin API the weakest door' },
  // HMAC keys shorter than the hash output weaken it (RFC 2104 §3).
  { path: ['apiKeys', 'pepper'], min: 32, why: 'the HMAC-SHA256 key of every API key hash (RFC 2104 §3)' },
  { path: ['oauth', 'signingKeySecret'], min: 32, why: 'the key that encrypts the signing keys in the store is derived from it' },
  { path: ['admin', 'metricsToken'], min: 24, why: 'a guessable scrape token would open the metrics to anyone who can reach the admin listener' },
  { path: ['admin', 'mfa', 'seedKey'], min: 32, why: 'the key that seals admin users\' TOTP seeds in the store is derived from it' },
  { path: ['policies', 'fields', 'hashKey'], min: 32, why: 'the HMAC-SHA256 key of the fields policy\'s hash operator (RFC 2104 §3)' },
];

/** Secrets below their minimum length; only resolved secrets (SecretValue) are measured. */
export function secretLengthIssues(config: Loose): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // Route-level policies carry their own secrets: the same minimums under routes[i].
  const routes = Array.isArray(config.routes) ? config.routes : [];
  const routeMinimums = routes.flatMap((route, index) => SECRET_MINIMUMS.filter(({ path }) => path[0] === 'policies').map((rule) => ({ ...rule, path: path(index, rule.path), within: route })));
  for (const { path, min, why, within } of [...SECRET_MINIMUMS.map((rule) => ({ ...rule, within: config as unknown })), ...routeMinimums]) {
    let value: unknown = within;
    for (const name of path.slice(within === config ? 0 : 1)) value = isObject(value) ? value[name] : undefined;
    // A vault reference not yet bound is measured once the services bind it (services.ts).
    if (value instanceof SecretValue && !unbound(value) && value.reveal().length < min) {
      // The length is not told either: it narrows a guess.
      issues.push({ path: path.join('.'), message: `must be at least ${min} characters (${value.reference} has fewer): ${why}` });
    }
  }
  return issues;
}

/**
 * Every start-only rule. `secretsResolved` false (validate --no-resolve-secrets, a CI run without
 * the production environment): secrets are references still and the deployment's certificate,
 * key and geo files are not there, so these checks are skipped; `start` always runs them.
 */
export function checkStartRules(config: Loose, secretsResolved: boolean): ConfigIssue[] {
  if (!secretsResolved) return [];
  const issues: ConfigIssue[] = secretLengthIssues(config);
  const listeners = Array.isArray(config.listeners) ? config.listeners : [];
  listeners.forEach((listener, index) => {
    if (!isObject(listener) || !isObject(listener.tls)) return;
    const tls = listener.tls;
    const files = [['certFile', tls.certFile], ['keyFile', tls.keyFile]] as Array<[string, unknown]>;
    const client = isObject(tls.clientCertificates) ? tls.clientCertificates : {};
    if (client.mode !== undefined && client.mode !== 'off' && Array.isArray(client.caFiles)) client.caFiles.forEach((file, i) => files.push([`clientCertificates.caFiles[${i}]`, file]));
    const unreadable = fileIssues(`listeners[${index}].tls`, files);
    issues.push(...unreadable);
    if (unreadable.length === 0 && ![tls.cert, tls.key, tls.keyPassphrase].some(unbound)) {
      issues.push(...contextIssue(`listeners[${index}].tls`, () => listenerSecureContext(tls as unknown as ListenerTlsConfig)));
    }
  });
  const upstreams = isObject(config.upstreams) ? config.upstreams : {};
  for (const [name, upstream] of Object.entries(upstreams)) {
    if (!isObject(upstream) || !isObject(upstream.tls)) continue;
    const tls = upstream.tls;
    const files = [['certFile', tls.certFile], ['keyFile', tls.keyFile]] as Array<[string, unknown]>;
    if (Array.isArray(tls.caFiles)) tls.caFiles.forEach((file, i) => files.push([`caFiles[${i}]`, file]));
    const unreadable = fileIssues(`upstreams.${name}.tls`, files);
    issues.push(...unreadable);
    if (unreadable.length === 0 && ![tls.key, tls.keyPassphrase].some(unbound)) {
      issues.push(...contextIssue(`upstreams.${name}.tls`, () => upstreamTls(upstream as unknown as UpstreamConfig)));
    }
  }
  const geo = isObject(config.geo) ? config.geo : {};
  issues.push(...fileIssues('geo', [['databasePath', geo.databasePath]]));
  return issues;
}

/** A `${secret:…}` the vault has not been bound to yet (config validate without a store, or before the services open). */
/** `routes[index]` followed by a policy path, as issues name it. */
function path(index: number, policyPath: readonly string[]): readonly string[] {
  return [`routes[${index}]`, ...policyPath];
}

function unbound(value: unknown): boolean {
  return value instanceof VaultSecretReference && !value.bound;
}

/** Files that must exist and be readable now (start reads them). */
function fileIssues(at: string, files: Array<[string, unknown]>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, file] of files) {
    if (typeof file !== 'string') continue;
    try {
      accessSync(file, constants.R_OK);
      if (!statSync(file).isFile()) issues.push({ path: `${at}.${key}`, message: `${file} is not a file` });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      issues.push({ path: `${at}.${key}`, message: `cannot read ${file}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (error as Error).message}` });
    }
  }
  return issues;
}

/** A TLS context built the way start builds it; OpenSSL's reason, never the key material. */
function contextIssue(at: string, options: () => Parameters<typeof createSecureContext>[0]): ConfigIssue[] {
  try {
    createSecureContext(options());
    return [];
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]!;
    return [{ path: at, message: `the certificate and key do not make a TLS context: ${reason}` }];
  }
}
