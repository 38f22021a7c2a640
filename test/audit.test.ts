/**
 * The audit trail end to end on a running gateway: admin writes carry their request context into
 * the records, the admin API lists (filtered, paginated) and shows them, the gateway signs
 * checkpoints on its own, and `portcullis audit export` + `audit verify` work through the admin API,
 * offline on the bundle and on the live store.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../src/store/audit-record.js';
import { runCliAsync } from './helpers/cli.js';
import { httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, keysConfig, startKeyGateway } from './helpers/keys.js';

const AUDIT_ENV = { PORTCULLIS_AUDIT_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };

describe('audit trail through the admin API and the CLI', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let dir: string;
  let configFile: string;
  const env = () => ({ ...KEY_ENV, ...AUDIT_ENV, PORTCULLIS_ADMIN_URL: gw.gateway.adminUrl, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN });
  const cli = (...args: string[]) => runCliAsync(args, env());
  const adminGet = async <T>(path: string) => {
    const reply = await gw.admin.call('GET', path);
    assert.equal(reply.status, 200, reply.text);
    return reply.json<T>();
  };

  before(async () => {
    upstream = await startUpstream();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-e2e-'));
    const audit = { audit: { signingKey: '${env:PORTCULLIS_AUDIT_KEY}', checkpoint: { everyRecords: 3, everySeconds: 3600 } } };
    const config = keysConfig(upstream.url, audit, { path: join(dir, 'store.db'), pollIntervalMs: 100 });
    configFile = join(dir, 'portcullis.json');
    writeFileSync(configFile, JSON.stringify(config));
    gw = await startKeyGateway(upstream.url, audit, { store: config.store as Record<string, unknown>, env: AUDIT_ENV });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an admin write is recorded with its actor, request id, source address and User-Agent', async () => {
    const created = await httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'user-agent': 'audit-test/1.0 \u00e9t\u00e9' },
      body: JSON.stringify({ name: 'audited-partner' }),
    });
    assert.equal(created.status, 201, created.text);
    const consumer = created.json<{ id: string }>();
    const page = await adminGet<{ items: AuditRecord[] }>(`/v1/audit?target=${consumer.id}`);
    assert.equal(page.items.length, 1);
    const record = page.items[0]!;
    assert.deepEqual(
      [record.action, record.actor, record.target, record.requestId, record.sourceIp, record.userAgent, record.outcome],
      ['consumer.create', { type: 'bootstrap-token', id: 'bootstrap', credentialId: 'bootstrap' }, { kind: 'consumer', id: consumer.id }, created.headers['x-request-id'], '127.0.0.1', 'audit-test/1.0 ??t??', 'success'],
    );
    assert.deepEqual(await adminGet(`/v1/audit/${record.seq}`), record);
    assert.equal((await gw.admin.call('GET', '/v1/audit/999999')).status, 404);
  });

  test('the list filters by action and time, is newest first and pages with a cursor', async () => {
    const consumer = await gw.admin.consumer('paged-partner');
    for (let i = 0; i < 3; i++) await gw.admin.key(consumer, ['accounts:read']);
    const keys = await adminGet<{ items: AuditRecord[]; nextCursor: string | null }>(`/v1/audit?action=api_key.create&limit=2`);
    assert.equal(keys.items.length, 2);
    assert.ok(keys.items[0]!.seq > keys.items[1]!.seq, 'newest first');
    assert.ok(keys.items.every((r) => r.action === 'api_key.create' && r.changes?.after?.hash === '[secret]'));
    const rest = await adminGet<{ items: AuditRecord[]; nextCursor: string | null }>(`/v1/audit?action=api_key.create&limit=2&cursor=${keys.nextCursor}`);
    assert.deepEqual([rest.items.length, rest.nextCursor], [1, null]);
    const future = await adminGet<{ items: AuditRecord[] }>(`/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    assert.deepEqual(future.items, []);
    assert.equal((await gw.admin.call('GET', '/v1/audit?actorId=x')).status, 400, 'an unknown filter is refused');
  });

  test('the gateway signs checkpoints on its own, and export + verify pass through the admin API, offline and on the live store', async () => {
    // everyRecords: 3, and five records were written above: a checkpoint follows the commits.
    let checkpoints = 0;
    for (let i = 0; i < 200 && checkpoints === 0; i++) {
      checkpoints = (await gw.admin.call('POST', '/v1/audit/export', {})).json<{ checkpoints: unknown[] }>().checkpoints.length;
      if (checkpoints === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(checkpoints > 0, 'a checkpoint was signed');
    const out = join(dir, 'bundle');
    const exported = await cli('audit', 'export', '--out', out);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /records \(seq 1\.\.\d+\), \d+ checkpoints and 1 public keys written/);
    const offline = await cli('audit', 'verify', out, '--format', 'json', '--allow-unanchored');
    assert.equal(offline.status, 0, offline.stdout + offline.stderr);
    const report = JSON.parse(offline.stdout) as { findings: Array<{ kind: string }>; anchoredThrough: number };
    assert.ok(report.anchoredThrough >= 3);
    assert.ok(report.findings.every((f) => f.kind === 'not_anchored'));
    const live = await cli('audit', 'verify', '--config', configFile, '--allow-unanchored');
    assert.equal(live.status, 0, live.stdout + live.stderr);
    assert.match(live.stdout, /^audit trail: \d+ records/);
    const exports = await adminGet<{ items: AuditRecord[] }>('/v1/audit?action=audit.export');
    assert.ok(exports.items.length >= 2, 'each export through the admin API is itself recorded');
    const list = await cli('audit', 'list', '--action', 'consumer.create');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^SEQ\s+TIME\s+ACTOR\s+ACTION/);
    assert.match(list.stdout, /bootstrap-token:bootstrap\s+consumer\.create/);
  });
});
