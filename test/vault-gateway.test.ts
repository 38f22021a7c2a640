/**
 * The vault end to end, on two gateways sharing one PostgreSQL: an upstream credential given as
 * `${secret:payroll-token}` is injected from the vault; a new version set through one node's admin
 * API (the CLI reads it from stdin) reaches requests through the other node within a second, without
 * a reload; a reload naming a secret the vault lacks is refused; the value appears in no log line
 * and no list answer, and only a reveal (audited) returns it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { systemClock } from '../src/core/clock.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { eventually, httpRequest, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, ADMIN_TOKEN, KEY_ENV, keysConfig, startKeyGateway } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const KEK = randomBytes(32);
const FIRST = `first-${randomBytes(8).toString('hex')}`;
const SECOND = `second-${randomBytes(8).toString('hex')}`;

describe('vault on two gateways sharing PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let upstream: TestUpstream;
  let schema: { schema: string; drop(): Promise<void> };
  const nodes: Array<TestGateway & { admin: AdminClient }> = [];
  const env = { ...KEY_ENV, PORTCULLIS_VAULT_KEK: KEK.toString('base64'), PORTCULLIS_TEST_DATABASE_URL: '' };
  let extra: Record<string, unknown>;
  let store: Record<string, unknown>;

  before(async () => {
    upstream = await startUpstream();
    schema = await createPostgresSchema();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    env.PORTCULLIS_TEST_DATABASE_URL = url.toString();
    store = { driver: 'postgres', url: '${env:PORTCULLIS_TEST_DATABASE_URL}', pollIntervalMs: 1000 };
    // The secret must exist before a config that names it can start: set it as an operator would.
    const opened = openStore({ driver: 'postgres', url: POSTGRES_URL, schema: schema.schema });
    await migrateToLatest(opened);
    const writer = storeFor(opened, systemClock);
    await new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(KEK, 'env')), (await import('../src/observability/logger.js')).createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true })).set(TEST_ACTOR, 'payroll-token', Buffer.from(FIRST));
    await writer.close();
    extra = {
      vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } },
      upstreams: { backend: { targets: [upstream.url], auth: { type: 'bearer', token: '${secret:payroll-token}' } } },
    };
    for (let i = 0; i < 2; i++) nodes.push(await startKeyGateway(upstream.url, extra, { store, env }));
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await upstream?.close();
    await schema?.drop();
  });

  const sentToken = async (node: TestGateway): Promise<string | undefined> => {
    const reply = await httpRequest(`${node.url}/pay`);
    assert.equal(reply.status, 200);
    return String(reply.json<{ headers: Record<string, string> }>().headers.authorization ?? '');
  };

  test('the upstream gets the promoted version; a new version set on one node reaches the other within a second, without a reload', async () => {
    assert.equal(await sentToken(nodes[1]!), `Bearer ${FIRST}`);
    // `portcullis secrets set` with the value on stdin, against the first node's admin API.
    const cli = spawn(process.execPath, ['dist/src/cli/main.js', 'secrets', 'set', 'payroll-token', '--admin-url', nodes[0]!.gateway.adminUrl], { env: { ...process.env, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stdin.end(`${SECOND}\n`);
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /version 2 stored and promoted/);
    const setAt = performance.now();
    await eventually(async () => (await sentToken(nodes[1]!)) === `Bearer ${SECOND}`, 'the second node sends the new version', 1000);
    console.log(`# new version at the second node's upstream: ${Math.round(performance.now() - setAt)} ms`);
    assert.equal(await sentToken(nodes[0]!), `Bearer ${SECOND}`);
  });

  test('a reload naming a secret the vault lacks is refused; the old config keeps serving', async () => {
    const raw = keysConfig(upstream.url, { ...extra, upstreams: { backend: { targets: [upstream.url], auth: { type: 'bearer', token: '${secret:missing-token}' } } } }, store);
    const loaded = validateConfig(raw, env);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
    const result = await nodes[1]!.gateway.reload(loaded.config);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.issues.map(formatIssue).join('\n'), /\$\{secret:missing-token\}: the vault has no secret of that name/);
    assert.equal(await sentToken(nodes[1]!), `Bearer ${SECOND}`, 'the old config serves');
  });

  test('lists and versions carry no value, a reveal does and is audited; no log line holds a value', async () => {
    const admin = nodes[0]!.admin;
    const list = await admin.call('GET', '/v1/secrets');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json<{ items: Array<{ name: string; currentVersion: number }> }>().items.map((s) => [s.name, s.currentVersion]), [['payroll-token', 2]]);
    const versions = await admin.call('GET', '/v1/secrets/payroll-token/versions');
    const revealed = await admin.call('POST', '/v1/secrets/payroll-token/reveal', { version: 1 });
    assert.equal(revealed.status, 200);
    assert.equal(revealed.json<{ value: string }>().value, FIRST);
    const audit = await admin.call('GET', '/v1/audit?action=secret.revealed');
    assert.match(audit.text, /secret\.revealed/);
    for (const value of [FIRST, SECOND]) {
      for (const node of nodes) assert.ok(!node.logs.text().includes(value), `${value} in a log`);
      assert.ok(!list.text.includes(value) && !versions.text.includes(value) && !audit.text.includes(value), `${value} in an admin answer`);
    }
  });
  test('deleting a secret the running config names is refused with 409 and its config paths; forced, every node answers 503 upstream.credential_unavailable within a second, never a 500', async () => {
    const admin = nodes[0]!.admin;
    const refused = await admin.call('DELETE', '/v1/secrets/payroll-token');
    assert.equal(refused.status, 409);
    const problem = refused.json<{ code: string; references: string[] }>();
    assert.equal(problem.code, 'admin.secret_in_use');
    assert.deepEqual(problem.references, ['upstreams.backend.auth.token']);
    assert.equal(await sentToken(nodes[1]!), `Bearer ${SECOND}`, 'the secret is still served');
    const forced = await admin.call('DELETE', '/v1/secrets/payroll-token?force=true');
    assert.equal(forced.status, 200, forced.text);
    for (const node of nodes) {
      await eventually(async () => (await httpRequest(`${node.url}/pay`)).status === 503, 'the deleted secret stops being sent', 1000);
      const reply = await httpRequest(`${node.url}/pay`);
      assert.equal(reply.json<{ code: string }>().code, 'upstream.credential_unavailable');
      assert.ok(node.logs.records.some((record) => record.event === 'credentials.unavailable' && record.credential === 'upstreams.backend.auth'));
      const metrics = await node.admin.call('GET', '/metrics');
      assert.match(metrics.text, /portcullis_upstream_credential_unavailable_total\{credential="upstreams\.backend\.auth",reason="secret_unavailable"\} [1-9]/);
    }
    const seen = upstream.requests.length;
    await httpRequest(`${nodes[0]!.url}/pay`);
    assert.equal(upstream.requests.length, seen, 'nothing was sent upstream without its credential');
  });
});
