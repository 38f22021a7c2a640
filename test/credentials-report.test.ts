/**
 * The credentials report (issue 24 §5), on SQLite and PostgreSQL, with the gateway's clock moved
 * through 400 days: one credential of each kind expired, over policy, expiring and fine, made
 * through the admin API and the private CA at known times. GET /v1/inventory/credentials answers
 * the exact rows (status, age, days left, policy) and nothing secret (every key, client secret,
 * key hash and vault value is searched for in the answer); `portcullis credentials report --config`
 * reading the store directly prints the same rows and exits 1 (something over policy), 0 when
 * asked for what is only expiring; preflight PF-OAUTH-001 names the one client secret past policy.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { runPreflight } from '../src/commands/preflight/runner.js';
import { PrivateCa } from '../src/pki/private-ca.js';
import { openStore, type OpenedStore } from '../src/store/open-store.js';
import type { CredentialsReport } from '../src/admin/inventory/credentials-report.js';
import { makeTestPki } from './helpers/certs.js';
import { runCliAsync } from './helpers/cli.js';
import { startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV, keysConfig, OAUTH_ENV, OAUTH_ON } from './helpers/keys.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const DAY = 86_400_000;
const HALF_DAY = 43_200_000;
const CA_PASSPHRASE_ENV = 'PTC_REPORT_CA_PASSPHRASE';

/** The fields every assertion compares: what the report says of each credential. */
const brief = (report: Pick<CredentialsReport, 'rows'>) => report.rows.map((row) => `${row.status} ${row.kind} ${row.name} age=${row.ageDays} left=${row.daysLeft} policy=${row.policyMaxAgeDays}`);

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`credentials report: ${backend}`, { skip: backend === 'PostgreSQL' && skipWithoutPostgres }, () => {
    let upstream: TestUpstream;
    let gw: TestGateway;
    let admin: AdminClient;
    let opened: OpenedStore;
    let drop: (() => Promise<void>) | undefined;
    let configFile: string;
    /** Every secret value the setup saw: none may appear in a report. */
    const secrets: string[] = [];
    // The report's "now": the real time, so the CLI (which reads the system clock) agrees; every
    // credential is made at a whole number of days plus 12 hours before it, so a run that takes
    // minutes cannot move a floor(days) across a boundary.
    const NOW = Date.now();
    const clock = new ManualClock(NOW - 400 * DAY - HALF_DAY);
    const at = (daysBefore: number) => clock.advance(NOW - daysBefore * DAY - HALF_DAY - clock.now());
    const env: Record<string, string> = { ...KEY_ENV, ...OAUTH_ENV, PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64'), [CA_PASSPHRASE_ENV]: 'report test passphrase 0123456789', UPSTREAM_TOKEN: 'x', DATABASE_URL: '' };

    async function created(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
      const reply = await admin.call(method, path, body);
      assert.equal(reply.status, 201, `${method} ${path}: ${reply.text}`);
      return reply.json();
    }
    const key = async (consumerId: string, name: string) => {
      const body = await created('POST', '/v1/keys', { consumerId, name, scopes: [] });
      secrets.push(body.secret as string);
      return (body.apiKey as { id: string }).id;
    };
    const client = async (consumerId: string, name: string) => {
      const body = await created('POST', '/v1/oauth/clients', { consumerId, name });
      secrets.push(body.clientSecret as string);
      return (body.client as { clientId: string }).clientId;
    };
    const vault = async (name: string, value: string) => {
      secrets.push(value);
      await created('POST', `/v1/secrets/${name}/versions`, { value });
    };
    const credential = (name: string, extra: Record<string, unknown> = {}) => created('POST', '/v1/credentials', { name, kind: 'static', owner: 'team-payroll', settings: { scheme: 'bearer', secret: '${env:UPSTREAM_TOKEN}' }, ...extra });

    before(async () => {
      upstream = await startUpstream();
      const work = mkdtempSync(join(tmpdir(), 'portcullis-credentials-report-'));
      const caDir = join(work, 'ca');
      let store: Record<string, unknown> = { path: join(work, 'store.db'), pollIntervalMs: 100 };
      let location: Parameters<typeof openStore>[0] = { driver: 'sqlite', path: join(work, 'store.db') };
      if (backend === 'PostgreSQL') {
        const pg = await postgresGatewayStore();
        ({ drop, store, location } = pg);
        env.DATABASE_URL = pg.url;
      }
      // Day -400: our CA (its records move into the store at its first use with one, below).
      await PrivateCa.init({ dir: caDir, subject: 'CN=Report Test CA', days: 3650, keyPassphraseEnv: CA_PASSPHRASE_ENV, crlDays: 3650, env, now: clock.now() });
      const config = keysConfig(upstream.url, { ...OAUTH_ON, vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' }, secretMaxAgeDays: 180 }, pki: { caDir } }, store);
      configFile = join(work, 'portcullis.json');
      writeFileSync(configFile, JSON.stringify(config));
      gw = await startGateway(config, { env, clock });
      admin = new AdminClient(gw.gateway.adminUrl);
      opened = openStore(location);
      const ca = await PrivateCa.open(caDir, env, { store: storeFor(opened, clock), actor: TEST_ACTOR });
      const issue = async (consumerId: string, days: number) => (await ca.issue({ consumerId, subject: `CN=${consumerId}`, days, now: clock.now() })).record.serial;

      const acme = (await created('POST', '/v1/consumers', { name: 'acme' })).id as string;
      const strict = (await created('POST', '/v1/consumers', { name: 'strict', metadata: { apiKeys: { maxAgeDays: 30 } } })).id as string;
      await client(acme, 'client-old');
      const rotatedClient = await client(acme, 'client-rotated');
      at(350);
      await client(acme, 'client-soon');
      at(200);
      await key(acme, 'key-long-expired');
      await vault('vault-old', `old-${randomBytes(8).toString('hex')}`);
      await vault('vault-new', `new-v1-${randomBytes(8).toString('hex')}`);
      at(100);
      await key(acme, 'key-expired');
      const legacy = await key(acme, 'key-legacy');
      await credential('upstream-expired');
      at(85);
      await credential('upstream-expiring');
      at(80);
      await key(acme, 'key-expiring');
      at(50);
      const rotatedKey = await key(acme, 'key-rotated');
      at(40);
      await issue('partner-expired', 35);
      at(25);
      await key(strict, 'key-strict');
      at(20);
      await issue('partner-expiring', 25);
      await ca.revoke(await issue('partner-revoked', 25), clock.now());
      at(10);
      const rotated = await admin.call('POST', `/v1/oauth/clients/${rotatedClient}/rotate`, { gracePeriodSeconds: 60 });
      assert.equal(rotated.status, 200, rotated.text);
      secrets.push(rotated.json<{ clientSecret: string }>().clientSecret);
      at(5);
      await vault('vault-new', `new-v2-${randomBytes(8).toString('hex')}`);
      at(1);
      await key(acme, 'key-fresh');
      const replacement = await admin.call('POST', `/v1/keys/${rotatedKey}/rotate`, { gracePeriodSeconds: 60 });
      assert.equal(replacement.status, 201, replacement.text);
      secrets.push(replacement.json<{ secret: string }>().secret);
      await issue('partner-fine', 365);
      clock.advance(NOW - clock.now());
      // A key made before every key had an expiry (PF-KEY-001): only the age policy stops it.
      await opened.db.updateTable('api_keys').set({ expires_at: null }).where('id', '=', legacy).execute();
      for (const row of await opened.db.selectFrom('api_keys').select('hash').execute()) secrets.push(row.hash);
      for (const row of await opened.db.selectFrom('oauth_clients').select('secret_hash').execute()) if (row.secret_hash) secrets.push(row.secret_hash);
    });
    after(async () => {
      await opened?.close();
      await gw?.close();
      await upstream?.close();
      await drop?.();
    });

    const report = async (query: string): Promise<CredentialsReport> => {
      const reply = await admin.call('GET', `/v1/inventory/credentials${query}`);
      assert.equal(reply.status, 200, reply.text);
      return reply.json<CredentialsReport>();
    };

    test('lists what expired, is over policy or expires within 30 days, most urgent first, with exact days', async () => {
      const found = await report('');
      assert.deepEqual(brief(found), [
        'expired api_key key-expired age=100 left=-11 policy=90',
        'expired upstream_credential upstream-expired age=100 left=-11 policy=90',
        'expired partner_certificate CN=partner-expired age=40 left=-6 policy=null',
        'over_policy oauth_client_secret client-old age=400 left=-36 policy=365',
        'over_policy vault_secret vault-old v1 age=200 left=-21 policy=180',
        'over_policy api_key key-legacy age=100 left=-11 policy=90',
        'expiring api_key key-strict age=25 left=4 policy=30',
        'expiring partner_certificate CN=partner-expiring age=20 left=4 policy=null',
        'expiring upstream_credential upstream-expiring age=85 left=4 policy=90',
        'expiring api_key key-expiring age=80 left=9 policy=90',
        'expiring oauth_client_secret client-soon age=350 left=14 policy=365',
      ]);
      assert.deepEqual(found.summary, { expired: 3, over_policy: 3, expiring: 5, ok: 0 });
      assert.equal(found.days, 30);
      assert.equal(found.generatedAt, new Date(NOW).toISOString());
      assert.deepEqual(found.warnings, []);
      const strict = found.rows.find((row) => row.name === 'key-strict')!;
      assert.equal(strict.reason, `expires on ${new Date(NOW + 4 * DAY + HALF_DAY).toISOString().slice(0, 10)}`);
      const legacy = found.rows.find((row) => row.name === 'key-legacy')!;
      assert.equal(legacy.expiresAt, null);
      assert.equal(legacy.reason, '100 days old (policy 90 days, apiKeys.maxAgeDays)');
      assert.match(found.rows.find((row) => row.name === 'client-old')!.reason, /^400 days old \(policy 365 days, oauth\.clientSecretMaxAgeDays\)$/);
    });

    test('never holds a key, a client secret, a hash or a vault value', async () => {
      const text = JSON.stringify(await report('?all=true&days=3650'));
      assert.ok(secrets.length >= 15, 'the setup collected the secrets');
      for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret value is in the report');
    });

    test('all=true adds the ok ones; a rotated client secret, a replaced key, a revoked certificate and a vault secret with a newer version are judged by what is current', async () => {
      const found = await report('?all=true');
      assert.deepEqual(brief(found).filter((line) => line.startsWith('ok ')), [
        'ok api_key key-fresh age=1 left=88 policy=90',
        'ok api_key key-rotated age=1 left=88 policy=90',
        'ok vault_secret vault-new v2 age=5 left=174 policy=180',
        'ok oauth_client_secret client-rotated age=10 left=354 policy=365',
        'ok partner_certificate CN=partner-fine age=1 left=363 policy=null',
      ]);
      assert.deepEqual(found.summary, { expired: 3, over_policy: 3, expiring: 5, ok: 5 });
      assert.equal(found.rows.filter((row) => row.name === 'key-rotated').length, 1, 'the replaced key is not listed, its successor is');
      assert.ok(!found.rows.some((row) => row.owner === 'partner-revoked'));
    });

    test('the horizon and kinds narrow it: an expiry older than the horizon is no longer listed', async () => {
      assert.deepEqual(brief(await report('?days=6&kind=api_key,partner_certificate')), [
        'expired partner_certificate CN=partner-expired age=40 left=-6 policy=null',
        'over_policy api_key key-legacy age=100 left=-11 policy=90',
        'expiring api_key key-strict age=25 left=4 policy=30',
        'expiring partner_certificate CN=partner-expiring age=20 left=4 policy=null',
      ]);
      const longer = brief(await report('?days=120&kind=api_key'));
      assert.ok(longer.includes('expired api_key key-long-expired age=200 left=-111 policy=90'), longer.join('\n'));
    });

    test('portcullis credentials report --config reads the store itself: the same rows, exit 1 for what is over policy', async () => {
      const viaApi = await report('');
      const cli = await runCliAsync(['credentials', 'report', '--config', configFile, '--format', 'json'], env);
      assert.equal(cli.status, 1, cli.stderr);
      const viaStore = JSON.parse(cli.stdout) as CredentialsReport;
      assert.deepEqual(viaStore.rows, viaApi.rows);
      assert.deepEqual(viaStore.summary, viaApi.summary);
      for (const secret of secrets) assert.ok(!cli.stdout.includes(secret));
      // Without --config the CLI asks the running gateway: the admin route's answer, as is.
      const viaAdmin = await runCliAsync(['credentials', 'report', '--admin-url', gw.gateway.adminUrl, '--json'], env);
      assert.equal(viaAdmin.status, 1, viaAdmin.stderr);
      assert.deepEqual((JSON.parse(viaAdmin.stdout) as CredentialsReport).rows, viaApi.rows);

      const onlyExpiring = await runCliAsync(['credentials', 'report', '--config', configFile, '--kind', 'oauth_client_secret', '--days', '20d', '--format', 'csv'], env);
      assert.equal(onlyExpiring.status, 1, 'client-old is over policy');
      assert.deepEqual(onlyExpiring.stdout.split('\r\n').map((line) => line.split(',').slice(0, 3).join(',')), ['kind,id,name', `oauth_client_secret,${viaApi.rows.find((row) => row.name === 'client-old')!.id},client-old`, `oauth_client_secret,${viaApi.rows.find((row) => row.name === 'client-soon')!.id},client-soon`, '']);
      // With a horizon of 0 days: upstream-expired expired 10 days ago (out of the window), upstream-expiring is 4 days away.
      const clean = await runCliAsync(['credentials', 'report', '--config', configFile, '--kind', 'upstream_credential', '--days', '0'], env);
      assert.equal(clean.status, 0, clean.stderr);
      assert.equal(clean.stdout, 'no credential needs attention (0 expired, 0 over policy, 0 expiring within 0 days)\n');
      const table = await runCliAsync(['credentials', 'report', '--config', configFile, '--kind', 'upstream_credential'], env);
      assert.equal(table.status, 1);
      assert.match(table.stdout, /^STATUS +KIND +ID +NAME +OWNER +AGEDAYS +POLICYMAXAGEDAYS +EXPIRESAT +DAYSLEFT +REASON\nexpired +upstream_credential +\S+ +upstream-expired +team-payroll +100 +90 +\d{4}-\d{2}-\d{2} +-11 +expired on /);
      assert.match(table.stdout, /\n1 expired, 0 over policy, 1 expiring within 30 days\n$/);
      const bad = await runCliAsync(['credentials', 'report', '--config', configFile, '--kind', 'passwords'], env);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--kind takes api_key, oauth_client_secret, partner_certificate, upstream_credential, vault_secret, listener_certificate \(not passwords\)/);
    });

    test('preflight PF-OAUTH-001 names the client secret past oauth.clientSecretMaxAgeDays, and no other', async () => {
      const result = await runPreflight({ configPath: configFile, env, clock, offline: false, resolveSecrets: true, timeoutMs: 2000 });
      const found = result.findings.filter((item) => item.ruleId === 'PF-OAUTH-001');
      const old = (await report('')).rows.find((row) => row.name === 'client-old')!;
      assert.deepEqual(found.map((item) => [item.message, item.where.entity]), [[`the secret of OAuth client ${old.id} (client-old) of consumer ${old.owner} is 400 days old (policy: 365, oauth.clientSecretMaxAgeDays)`, `oauth_client ${old.id}`]]);
    });
  });
}

describe('credentials report: the certificates the listeners present', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream();
    const pki = await makeTestPki();
    const listeners = [
      { name: 'public', host: '127.0.0.1', port: 0 },
      { name: 'partners', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
    ];
    gw = await startGateway(keysConfig(upstream.url, { listeners }), { env: KEY_ENV });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('each certificate of a listener bundle is a listener_certificate row, by its notBefore and notAfter', async () => {
    const reply = await new AdminClient(gw.gateway.adminUrl).call('GET', '/v1/inventory/credentials?kind=listener_certificate&all=true&days=100');
    assert.equal(reply.status, 200, reply.text);
    const found = reply.json<CredentialsReport>();
    const now = Date.parse(found.generatedAt);
    const { parsePemBundle, normalizeSerial } = await import('../src/pki/revocation.js');
    const { readFileSync } = await import('node:fs');
    const bundle = parsePemBundle(readFileSync(gw.gateway.config.listeners[1]!.tls!.certFile!, 'utf8'));
    assert.equal(bundle.length, 2, 'leaf and intermediate');
    const expected = bundle
      .map((certificate) => ({ certificate, left: Math.floor((certificate.notAfter.getTime() - now) / DAY) }))
      .sort((a, b) => (a.left <= 100 ? 0 : 1) - (b.left <= 100 ? 0 : 1) || a.left - b.left)
      .map(({ certificate, left }) => `${left <= 100 ? 'expiring' : 'ok'} ${normalizeSerial(certificate.serialNumber)} ${certificate.subject} listener partners age=${Math.floor((now - certificate.notBefore.getTime()) / DAY)} left=${left}`);
    assert.deepEqual(found.rows.map((row) => `${row.status} ${row.id} ${row.name} ${row.owner} age=${row.ageDays} left=${row.daysLeft}`), expected);
    assert.equal(found.rows[0]!.kind, 'listener_certificate');
    assert.equal(found.rows[0]!.status, 'expiring', 'the 90-day leaf is within 100 days');
  });
});
