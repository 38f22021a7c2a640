/**
 * Preflight against a real store (issue 22 §2-3): stored credentials (an API key without expiry,
 * one past the key-age policy, an admin token living past a year, the bootstrap token still
 * working), the config history and node heartbeats written by the config.applied path the gateway
 * runs (history once per hash, in the audit record's transaction), drift between live nodes with
 * the command that restores the previous config, `config history | show | diff` through the real
 * CLI, and a store that does not answer (PF-STORE-001, bounded by --timeout-ms).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { AuditStreaming } from '../src/audit/audit-streaming.js';
import { runPreflight } from '../src/commands/preflight/runner.js';
import { loadConfigFile } from '../src/config/loader.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { Outbound } from '../src/outbound/index.js';
import { listConfigHistory, liveNodes, HEARTBEAT_INTERVAL_MS, NODE_GONE_AFTER_MS } from '../src/store/config-history.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { Store } from '../src/store/store.js';
import { SYSTEM_ACTOR } from '../src/core/actor.js';
import { PrivateCa } from '../src/pki/private-ca.js';
import { runCliAsync } from './helpers/cli.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-preflight-live-'));
const env = { PF_PEPPER: 'live-pepper-0123456789abcdef0123456789ab', PF_ADMIN: 'live-admin-token-0123456789abc', PF_SEED: 'live-seed-key-0123456789abcdef0123456789' };
const configText = (limit: number) => `# applied config, limit ${limit}
listeners: [{ name: public, host: 127.0.0.1, port: 8080 }]
admin: { token: "\${env:PF_ADMIN}", mfa: { seedKey: "\${env:PF_SEED}" } }
store: { driver: sqlite, path: ./live.db }
apiKeys: { pepper: "\${env:PF_PEPPER}", maxAgeDays: 90 }
upstreams: { api: { targets: [http://127.0.0.1:4010] } }
policies:
  auth-apikey: {}
  ratelimit: { limits: [{ name: per-consumer, limit: ${limit}, windowSeconds: 1 }] }
routes: [{ name: get-thing, methods: [GET], path: /things/:id, upstream: api }]
`;
const file = join(dir, 'portcullis.yaml');
const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
const logger = createLogger({ level: 'silent', redactHeaders: [] }, process.stderr);
let store: Store;

async function preflightIds(): Promise<Map<string, string[]>> {
  const report = await runPreflight({ configPath: file, env, clock, offline: false, resolveSecrets: true, timeoutMs: 3000 });
  const ids = new Map<string, string[]>();
  for (const found of report.findings) ids.set(found.ruleId, [...(ids.get(found.ruleId) ?? []), found.message]);
  return ids;
}

/** What the gateway does at start or reload on node `nodeId`: the config.applied path of AuditStreaming. */
async function apply(nodeId: string, limit: number): Promise<string> {
  writeFileSync(file, configText(limit));
  const loaded = await loadConfigFile(file, env);
  assert.ok(loaded.ok);
  const streaming = new AuditStreaming(loaded.config.audit, { store, outbound: new Outbound(), clock, logger: () => logger, registry: new Registry(), recordsConfig: true, nodeId });
  await streaming.configApplied(loaded.config, { kind: 'start', file });
  await streaming.close();
  return (await listConfigHistory(store.db, 1))[0]!.sha256;
}

before(async () => {
  writeFileSync(file, configText(10));
  const opened = openStore({ driver: 'sqlite', path: join(dir, 'live.db') });
  await migrateToLatest(opened);
  store = new Store(opened, { clock, logger: () => logger });
});
after(() => store.close());

describe('preflight on a real store', () => {
  test('stored credentials: a key without expiry, a key past maxAgeDays, an admin token past a year, the bootstrap token still working', async () => {
    // Rows as an old release or a direct import could have left them (the API gives every new key an expiry).
    await sql`PRAGMA foreign_keys = OFF`.execute(store.db);
    const now = clock.now();
    await store.db.insertInto('api_keys').values([
      { id: 'keynoexp', consumer_id: 'con_a', name: 'forever', environment: 'live', hash: 'h1', scopes: '[]', status: 'active', expires_at: null, created_by: 'test', created_at: now - DAY, last_used_at: null, replaced_by: null, revoked_at: null },
      { id: 'keyold01', consumer_id: 'con_a', name: 'old', environment: 'live', hash: 'h2', scopes: '[]', status: 'active', expires_at: now + DAY, created_by: 'test', created_at: now - 200 * DAY, last_used_at: null, replaced_by: null, revoked_at: null },
      // Consumer con_b's own policy is 30 days: a 45-day-old key exceeds it, a 20-day-old one does not.
      { id: 'keyold02', consumer_id: 'con_b', name: 'short', environment: 'live', hash: 'h4', scopes: '[]', status: 'active', expires_at: now + DAY, created_by: 'test', created_at: now - 45 * DAY, last_used_at: null, replaced_by: null, revoked_at: null },
      { id: 'keyyoung', consumer_id: 'con_b', name: 'young', environment: 'live', hash: 'h5', scopes: '[]', status: 'active', expires_at: now + DAY, created_by: 'test', created_at: now - 20 * DAY, last_used_at: null, replaced_by: null, revoked_at: null },
      { id: 'keyrevok', consumer_id: 'con_a', name: 'revoked', environment: 'live', hash: 'h3', scopes: '[]', status: 'revoked', expires_at: null, created_by: 'test', created_at: now - 400 * DAY, last_used_at: null, replaced_by: null, revoked_at: now },
    ] as never).execute();
    // Disabled, so that the rate-limit rule (PF-RATE-002, a later test) does not count it.
    await store.db.insertInto('consumers').values({ id: 'con_b', name: 'short-lived', metadata: JSON.stringify({ apiKeys: { maxAgeDays: 30 } }), status: 'disabled', created_at: now, updated_at: now }).execute();
    await store.db.insertInto('admin_tokens').values({ id: 'tok00001', name: 'ci', user_id: 'usr_a', hash: 'h', permissions: '[]', status: 'active', expires_at: now + 400 * DAY, created_by: 'test', created_at: now, last_used_at: null } as never).execute();
    await sql`PRAGMA foreign_keys = ON`.execute(store.db);
    const ids = await preflightIds();
    assert.deepEqual(ids.get('PF-KEY-001'), ['API key keynoexp of consumer con_a never expires']);
    assert.deepEqual(ids.get('PF-KEY-002'), [
      'API key keyold01 of consumer con_a is 200 days old (policy: 90, apiKeys.maxAgeDays)',
      "API key keyold02 of consumer con_b is 45 days old (policy: 30, the consumer's metadata.apiKeys.maxAgeDays)",
    ]);
    assert.deepEqual(ids.get('PF-ADMIN-005'), ['admin token tok00001 (ci) expires 2027-07-06T00:00:00.000Z']);
    assert.equal(ids.get('PF-ADMIN-003')?.length, 1);
    // Besides: no alert sink in this config (PF-ALERT-001), and its upstream is not running (PF-UPSTREAM-001).
    assert.deepEqual([...ids.keys()].filter((id) => id !== 'PF-ALERT-001' && id !== 'PF-UPSTREAM-001').sort(), ['PF-ADMIN-003', 'PF-ADMIN-005', 'PF-KEY-001', 'PF-KEY-002']);
  });

  test('each applied config is kept once per hash with its audit record; nodes beat; drift is reported with the restore command', async () => {
    const first = await apply('node-a', 10);
    clock.advance(1000);
    assert.equal(await apply('node-b', 10), first, 'the same file applied on another node is the same config');
    assert.equal((await listConfigHistory(store.db)).length, 1);
    clock.advance(1000);
    const second = await apply('node-b', 20);
    assert.notEqual(second, first);
    const history = await listConfigHistory(store.db);
    assert.deepEqual(history.map((entry) => entry.sha256), [second, first]);
    const records = await store.db.selectFrom('audit_records').select(['record']).where('action', '=', 'config.applied').orderBy('seq').execute();
    assert.equal(records.length, 3);
    assert.deepEqual(records.map((row) => (JSON.parse(row.record) as { detail: { configSha256: string } }).detail.configSha256), [first, first, second]);
    // No secret in the history: the config holds its references only.
    const kept = await store.db.selectFrom('config_history').select(['config', 'source']).where('sha256', '=', second).executeTakeFirstOrThrow();
    for (const secret of Object.values(env)) assert.ok(!kept.config.includes(secret) && !kept.source!.includes(secret));
    assert.match(kept.config, /\[secret \$\{env:PF_PEPPER\}\]/);
    assert.deepEqual((await liveNodes(store.db, clock.now())).map((node) => [node.nodeId, node.configSha256]), [['node-a', first], ['node-b', second]]);
    const drift = (await preflightIds()).get('PF-DRIFT-001');
    assert.equal(drift?.length, 1);
    assert.match(drift![0]!, new RegExp(`2 nodes serve 2 configs: ${first.slice(0, 12)} on node-a \\(0\\.1\\.0\\); ${second.slice(0, 12)} on node-b`));
    assert.ok(drift![0]!.includes(`portcullis config show ${first.slice(0, 12)} --config ${file} > ${file}`), drift![0]);
    // PF-STORE-002: two live nodes on one SQLite file.
    assert.equal((await preflightIds()).get('PF-STORE-002')?.length, 1);
    // A node unseen for three beats is gone: no drift once node-a stops beating.
    clock.advance(NODE_GONE_AFTER_MS - 2000 + HEARTBEAT_INTERVAL_MS);
    await apply('node-b', 20);
    const later = await preflightIds();
    assert.equal(later.has('PF-DRIFT-001'), false);
    assert.equal(later.has('PF-STORE-002'), false);
  });

  test('config history, show and diff through the real CLI', async () => {
    const [newer, older] = await listConfigHistory(store.db);
    const history = await runCliAsync(['config', 'history', '--config', file], env);
    assert.equal(history.status, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`^${newer!.sha256.slice(0, 12)}  last applied .*${file.replace(/[.]/g, '\\.')}`, 'm'));
    const shown = await runCliAsync(['config', 'show', older!.sha256.slice(0, 10), '--config', file], env);
    assert.equal(shown.stdout, configText(10));
    const diff = await runCliAsync(['config', 'diff', older!.sha256.slice(0, 12), newer!.sha256.slice(0, 12), '--config', file], env);
    assert.equal(diff.status, 0, diff.stderr);
    assert.match(diff.stdout, /^-# applied config, limit 10$/m);
    assert.match(diff.stdout, /^\+  ratelimit: \{ limits: \[\{ name: per-consumer, limit: 20, windowSeconds: 1 \}\] \}$/m);
    const unknown = await runCliAsync(['config', 'show', 'abcdef0', '--config', file], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no single applied config has a hash starting with abcdef0/);
  });

  test('a PostgreSQL store that does not answer is PF-STORE-001 within --timeout-ms', async () => {
    const pgFile = join(dir, 'pg.yaml');
    writeFileSync(pgFile, configText(10).replace('store: { driver: sqlite, path: ./live.db }', 'store: { driver: postgres, url: "${env:PF_PG}" }'));
    const report = await runPreflight({ configPath: pgFile, env: { ...env, PF_PG: 'postgres://postgres@127.0.0.1:1/none' }, clock, offline: false, resolveSecrets: true, timeoutMs: 1000 });
    const found = report.findings.filter((f) => f.ruleId === 'PF-STORE-001');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.severity, 'critical');
    assert.equal(found[0]!.where.path, 'store.url');
    assert.doesNotMatch(found[0]!.message, /postgres:\/\//);
  });
});

describe('preflight on a real store: consumers, vault references, the private CA', () => {
  /** The applied config with `replace` pairs applied, written beside it (same store). */
  function variant(name: string, ...replace: Array<[string, string]>): string {
    const variantFile = join(dir, `${name}.yaml`);
    writeFileSync(variantFile, replace.reduce((text, [from, to]) => text.replace(from, to), configText(10)));
    return variantFile;
  }
  async function ids(configPath: string, extraEnv: Record<string, string> = {}, at = clock): Promise<Map<string, string[]>> {
    const report = await runPreflight({ configPath, env: { ...env, ...extraEnv }, clock: at, offline: false, resolveSecrets: true, timeoutMs: 3000 });
    const found = new Map<string, string[]>();
    for (const f of report.findings) found.set(f.ruleId, [...(found.get(f.ruleId) ?? []), f.message]);
    return found;
  }

  test('an active consumer that no limit counts (only per-IP limits) is PF-RATE-002; a disabled one is not', async () => {
    const now = clock.now();
    await store.db.insertInto('consumers').values([
      { id: 'con_rate', name: 'acme', metadata: '{}', status: 'active', created_at: now, updated_at: now },
      { id: 'con_off', name: 'gone', metadata: '{}', status: 'disabled', created_at: now, updated_at: now },
    ]).execute();
    // With the per-consumer limit of the applied config, every consumer is counted.
    assert.equal((await ids(file)).has('PF-RATE-002'), false);
    const perIp = variant('per-ip', ['windowSeconds: 1 }', 'windowSeconds: 1, by: [ip] }']);
    assert.deepEqual((await ids(perIp)).get('PF-RATE-002'), ['consumer con_rate (acme) is counted by no rate limit: only per client IP, route or header limits apply']);
  });

  test('a ${secret:…} the vault does not hold is PF-SECRET-001', async () => {
    const withVault = variant('vault', ['upstreams: { api: { targets: [http://127.0.0.1:4010] } }', 'vault: { kek: { source: env, key: "${env:PF_KEK}" } }\nupstreams: { api: { targets: [http://127.0.0.1:4010], auth: { type: bearer, token: "${secret:partner-token}" } } }']);
    const found = await ids(withVault, { PF_KEK: Buffer.alloc(32, 9).toString('base64') });
    assert.deepEqual(found.get('PF-SECRET-001'), ['${secret:partner-token}: the vault has no secret of that name']);
  });

  test('our CA keeping its records in the store: a partner certificate expiring within 30 days is PF-CERT-001, a CRL past nextUpdate PF-CRL-001', async () => {
    const caDir = join(dir, 'ca');
    const caEnv = { PF_CA_PASS: 'a-long-enough-ca-passphrase' };
    const access = { store, actor: SYSTEM_ACTOR };
    const ca = await PrivateCa.init({ dir: caDir, subject: 'CN=Preflight Test CA', days: 3650, keyPassphraseEnv: 'PF_CA_PASS', crlDays: 7, env: caEnv, now: clock.now(), store: access });
    await ca.issue({ consumerId: 'con_rate', days: 10, now: clock.now() });
    await ca.issue({ consumerId: 'con_rate', days: 300, now: clock.now() });
    // Signed into the store (the newest CRL there wins over crl.pem).
    await ca.writeCrl(clock.now());
    const withCa = variant('with-ca', ['store: { driver: sqlite', `pki: { caDir: ${caDir} }\nstore: { driver: sqlite`]);
    const fresh = await ids(withCa);
    assert.equal(fresh.get('PF-CERT-001')?.length, 1, JSON.stringify([...fresh]));
    assert.match(fresh.get('PF-CERT-001')![0]!, /^the partner certificate [0-9a-f]+ of consumer con_rate \(.*\) expires on 2026-06-11T00:01:00.000Z \(10 days left\)$/);
    assert.equal(fresh.has('PF-CRL-001'), false);
    const later = await ids(withCa, {}, new ManualClock(clock.now() + 8 * DAY));
    assert.match(later.get('PF-CRL-001')?.[0] ?? '', /^our CA's CRL \(number \d+\) was due again on /);
  });
});
