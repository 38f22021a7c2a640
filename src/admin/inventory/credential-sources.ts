/**
 * Reads what the credentials report (credentials-report.ts) needs, kind by kind, from the store and
 * the config: ids, names, owners, times and the age policy in force. Only metadata columns are
 * selected (never a key hash, a client secret hash, sealed tokens or a secret's ciphertext), so
 * nothing secret can reach a row by mistake.
 */
import { readFileSync } from 'node:fs';
import type { GatewayConfig, ListenerTlsConfig } from '../../config/schema.js';
import { effectiveExpiry } from '../../credentials/lifecycle.js';
import { consumerKeyMaxAgeDays } from '../../keys/key-age-policy.js';
import { PrivateCa } from '../../pki/private-ca.js';
import { normalizeSerial, parsePemBundle } from '../../pki/revocation.js';
import { PkiRepository } from '../../store/pki-repository.js';
import type { Db } from '../../store/repositories.js';
import type { CredentialFacts, CredentialKind } from './credentials-report.js';

/** `oauth.clientSecretMaxAgeDays` when the config has no `oauth` section (the schema's default). */
export const DEFAULT_CLIENT_SECRET_MAX_AGE_DAYS = 365;

/** The settings of the config the report reads (the admin API's running config, or a config file). */
export type ReportConfig = Pick<GatewayConfig, 'apiKeys' | 'oauth' | 'credentials' | 'pki' | 'vault' | 'listeners' | 'admin'>;

export interface CollectedFacts {
  readonly facts: CredentialFacts[];
  readonly warnings: string[];
}

/** Every credential of the `kinds` asked for, from `db` and `config`. A source that cannot be read becomes a warning. */
export async function collectCredentialFacts(db: Db, config: ReportConfig, kinds: readonly CredentialKind[]): Promise<CollectedFacts> {
  const facts: CredentialFacts[] = [];
  const warnings: string[] = [];
  const wanted = new Set(kinds);
  if (wanted.has('api_key')) facts.push(...(await apiKeyFacts(db, config.apiKeys?.maxAgeDays ?? 90, warnings)));
  if (wanted.has('oauth_client_secret')) facts.push(...(await clientSecretFacts(db, config.oauth?.clientSecretMaxAgeDays ?? DEFAULT_CLIENT_SECRET_MAX_AGE_DAYS)));
  if (wanted.has('partner_certificate')) facts.push(...(await partnerCertificateFacts(db, config.pki?.caDir, warnings)));
  if (wanted.has('upstream_credential')) facts.push(...(await upstreamCredentialFacts(db, config.credentials.maxAgeDays)));
  if (wanted.has('vault_secret')) facts.push(...(await vaultSecretFacts(db, config.vault?.secretMaxAgeDays ?? null)));
  if (wanted.has('listener_certificate')) facts.push(...listenerCertificateFacts(config, warnings));
  return { facts, warnings };
}

/**
 * Active API keys that have not been replaced (a rotated key's grace expiry is expected; its
 * successor is the one listed), with their consumer's key-age policy (keys/key-age-policy.ts).
 */
async function apiKeyFacts(db: Db, organisationDays: number, warnings: string[]): Promise<CredentialFacts[]> {
  const rows = await db
    .selectFrom('api_keys')
    .leftJoin('consumers', 'consumers.id', 'api_keys.consumer_id')
    .select(['api_keys.id as id', 'api_keys.name as name', 'api_keys.consumer_id as consumer_id', 'api_keys.created_at as created_at', 'api_keys.expires_at as expires_at', 'consumers.metadata as metadata'])
    .where('api_keys.status', '=', 'active')
    .where('api_keys.replaced_by', 'is', null)
    .orderBy('api_keys.id')
    .execute();
  return rows.map((row) => {
    let days = organisationDays;
    let source = 'apiKeys.maxAgeDays';
    try {
      const override = row.metadata === null ? undefined : consumerKeyMaxAgeDays(JSON.parse(row.metadata) as Record<string, unknown>);
      if (override !== undefined) [days, source] = [override, "the consumer's metadata.apiKeys.maxAgeDays"];
    } catch (error) {
      warnings.push(`consumer ${row.consumer_id}: its key-age override is ignored: ${(error as Error).message}`);
    }
    return { kind: 'api_key', id: row.id, name: row.name, owner: row.consumer_id, createdAt: Number(row.created_at), expiresAt: row.expires_at === null ? null : Number(row.expires_at), policyMaxAgeDays: days, policySource: source };
  });
}

/**
 * The current secret of each active client that has one (a private_key_jwt-only client has none).
 * Its age counts from `updated_at`: only a secret rotation changes an active client's row
 * (store/oauth-repositories.ts), so that is when the current secret was set.
 */
async function clientSecretFacts(db: Db, maxAgeDays: number): Promise<CredentialFacts[]> {
  const rows = await db.selectFrom('oauth_clients').select(['id', 'name', 'consumer_id', 'updated_at']).where('status', '=', 'active').where('secret_hash', 'is not', null).orderBy('id').execute();
  return rows.map((row) => ({ kind: 'oauth_client_secret', id: row.id, name: row.name, owner: row.consumer_id, createdAt: Number(row.updated_at), expiresAt: null, policyMaxAgeDays: maxAgeDays, policySource: 'oauth.clientSecretMaxAgeDays' }));
}

/** Active certificates our private CA issued to partners (issued.json, or the store when the CA keeps its ledger there). */
async function partnerCertificateFacts(db: Db, caDir: string | undefined, warnings: string[]): Promise<CredentialFacts[]> {
  if (caDir === undefined) return [];
  let ca: ReturnType<typeof PrivateCa.readPublic>;
  try {
    ca = PrivateCa.readPublic(caDir);
  } catch (error) {
    warnings.push(`pki.caDir ${caDir} cannot be read, its partner certificates are not listed: ${(error as Error).message.split('\n')[0]}`);
    return [];
  }
  const records = ca.inStore
    ? (await new PkiRepository(db).list(ca.caId)).map((record) => ({ ...record, active: record.status === 'active' }))
    : ca.issued.map((record) => ({ serial: record.serial, consumerId: record.consumerId, subject: record.subject, notBefore: Date.parse(record.notBefore), notAfter: Date.parse(record.notAfter), active: record.status === 'active' }));
  return records
    .filter((record) => record.active)
    .map((record) => ({ kind: 'partner_certificate', id: record.serial, name: record.subject, owner: record.consumerId, createdAt: record.notBefore, expiresAt: record.notAfter, policyMaxAgeDays: null, policySource: null }));
}

/**
 * Upstream credentials that are active, quarantined or expired (revoked ones are gone for good).
 * Their expiry is the lifecycle's (credentials/lifecycle.ts: `expiresAt` or the age policy,
 * whichever is sooner); one the sweep expired earlier (for disuse) counts from when it did.
 */
async function upstreamCredentialFacts(db: Db, organisationDays: number): Promise<CredentialFacts[]> {
  const rows = await db
    .selectFrom('upstream_credentials')
    .select(['id', 'name', 'owner', 'status', 'status_reason', 'created_at', 'updated_at', 'expires_at', 'max_age_days'])
    .where('status', 'in', ['active', 'quarantined', 'expired'])
    .orderBy('id')
    .execute();
  return rows.map((row) => {
    const createdAt = Number(row.created_at);
    const maxAgeDays = row.max_age_days === null ? null : Number(row.max_age_days);
    const expiry = effectiveExpiry({ createdAt, expiresAt: row.expires_at === null ? null : Number(row.expires_at), maxAgeDays }, { maxAgeDays: organisationDays, noticeDays: [] }).at;
    const stopped = row.status === 'expired' && Number(row.updated_at) < expiry;
    return {
      kind: 'upstream_credential',
      id: row.id,
      name: row.name,
      owner: row.owner,
      createdAt,
      expiresAt: stopped ? Number(row.updated_at) : expiry,
      policyMaxAgeDays: maxAgeDays ?? organisationDays,
      policySource: maxAgeDays === null ? 'credentials.maxAgeDays' : 'its own maxAgeDays',
      ...(stopped ? { stoppedReason: `expired (${row.status_reason ?? 'unused'})` } : {}),
    };
  });
}

/** Each vault secret's promoted version (the one references get), aged from when it was written. */
async function vaultSecretFacts(db: Db, maxAgeDays: number | null): Promise<CredentialFacts[]> {
  const rows = await db
    .selectFrom('vault_secrets as s')
    .innerJoin('vault_secret_versions as v', (join) => join.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.current_version'))
    .select(['s.name as name', 's.created_by as created_by', 'v.version as version', 'v.created_at as created_at'])
    .orderBy('s.name')
    .execute();
  return rows.map((row) => ({ kind: 'vault_secret', id: row.name, name: `${row.name} v${row.version}`, owner: row.created_by, createdAt: Number(row.created_at), expiresAt: null, policyMaxAgeDays: maxAgeDays, policySource: maxAgeDays === null ? null : 'vault.secretMaxAgeDays' }));
}

/**
 * The certificates the listeners present (each certificate of the bundle: the leaf and the
 * intermediates sent with it), the admin listener's too, from the config (secrets resolved, files
 * read now). A file that cannot be read is a warning.
 */
function listenerCertificateFacts(config: ReportConfig, warnings: string[]): CredentialFacts[] {
  const listeners: Array<{ owner: string; tls: ListenerTlsConfig | undefined }> = [...config.listeners.map((listener) => ({ owner: `listener ${listener.name}`, tls: listener.tls })), { owner: 'the admin listener', tls: config.admin.enabled ? config.admin.tls : undefined }];
  const facts: CredentialFacts[] = [];
  for (const { owner, tls } of listeners) {
    if (!tls) continue;
    let pem: string;
    try {
      pem = tls.cert?.reveal() ?? readFileSync(tls.certFile!, 'utf8');
    } catch (error) {
      warnings.push(`${owner}: its certificate cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    for (const certificate of parsePemBundle(pem)) {
      facts.push({ kind: 'listener_certificate', id: normalizeSerial(certificate.serialNumber), name: certificate.subject, owner, createdAt: certificate.notBefore.getTime(), expiresAt: certificate.notAfter.getTime(), policyMaxAgeDays: null, policySource: null });
    }
  }
  return facts;
}
