/**
 * Audit streaming and the audited security events through a whole gateway, on SQLite and
 * PostgreSQL: each committed record reaches a JSON-lines file exactly as the chain holds it; a
 * webhook sink in block mode that is down stops admin writes (503 audit.sink_unavailable) and gets
 * every record, in order, once back; 1000 bad admin requests add a bounded number of records; a
 * revoked key presented on the data plane and the config applied at start are on record.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { assertProblem, eventually, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const stores = [
  { name: 'SQLite', skip: false as const, open: async () => ({ store: undefined, env: {}, cleanup: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open() {
      const { schema, drop } = await createPostgresSchema();
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return { store: { driver: 'postgres', url: '${env:PORTCULLIS_TEST_DATABASE_URL}', pollIntervalMs: 100 }, env: { PORTCULLIS_TEST_DATABASE_URL: url.toString() }, cleanup: drop };
    },
  },
];

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

interface Record_ {
  seq: number;
  action: string;
  hash: string;
  outcome: string;
  target: { kind: string; id: string };
  detail?: Record<string, unknown>;
  sourceIp?: string;
}

/** A webhook receiver that verifies each signature and can be switched to 503. */
async function webhookReceiver() {
  const verifier = new Webhook(WEBHOOK_SECRET);
  const state = { up: true, seqs: [] as number[], refused: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!state.up) {
        state.refused++;
        res.writeHead(503).end();
        return;
      }
      const payload = verifier.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) as { data: Record_ };
      state.seqs.push(payload.data.seq);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const backend of stores) {
  describe(`audit sinks end to end: ${backend.name}`, { skip: backend.skip }, () => {
    let upstream: TestUpstream;
    let gw: Awaited<ReturnType<typeof startKeyGateway>>;
    let hook: Awaited<ReturnType<typeof webhookReceiver>>;
    let cleanup: () => Promise<void>;
    const file = join(mkdtempSync(join(tmpdir(), 'portcullis-audit-sink-')), 'audit.jsonl');
    const chain = async (): Promise<Record_[]> => {
      const rows = await gw.gateway.services.store!.db.selectFrom('audit_records').select('record').orderBy('seq').execute();
      return rows.map((row) => JSON.parse(row.record) as Record_);
    };
    const fileRecords = (): Record_[] => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record_) : []);

    before(async () => {
      upstream = await startUpstream();
      hook = await webhookReceiver();
      const opened = await backend.open();
      cleanup = opened.cleanup;
      gw = await startKeyGateway(
        upstream.url,
        {
          routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts/*', upstream: 'backend', policies: { 'auth-apikey': {} } }],
          bruteForce: { maxFailures: 1000000 },
          audit: {
            sinks: [
              { name: 'local-file', type: 'file', path: file, pollIntervalMs: 100 },
              { name: 'siem-hook', type: 'webhook', url: hook.url, secret: '${env:AUDIT_HOOK_SECRET}', onFailure: 'block', pollIntervalMs: 100, retryMinMs: 20, retryMaxMs: 100 },
            ],
            deniedAttempts: { intervalSeconds: 3600 },
            securityEvents: { flushIntervalMs: 100 },
          },
        },
        { store: opened.store, env: { ...opened.env, AUDIT_HOOK_SECRET: WEBHOOK_SECRET } },
      );
    });
    after(async () => {
      await gw?.close();
      await hook?.close();
      await upstream?.close();
      await cleanup?.();
    });

    test('streams every committed record to the file exactly as the chain holds it, the start\'s config.applied among them', async () => {
      const consumerId = await gw.admin.consumer('acme');
      await gw.admin.key(consumerId, ['accounts:read']);
      const records = await chain();
      assert.ok(records.some((record) => record.action === 'config.applied' && typeof record.detail?.configSha256 === 'string' && record.detail?.trigger === 'start'), 'the start is on record');
      await eventually(() => fileRecords().length >= records.length, 'the file has every record');
      // Sinks start at the chain's head when first made: what they got is the chain from there, unchanged.
      const got = fileRecords();
      const fromChain = records.filter((record) => record.seq >= got[0]!.seq);
      assert.deepEqual(got.slice(0, fromChain.length), fromChain);
      await eventually(() => hook.state.seqs.length >= fromChain.length, 'the webhook has every record');
      assert.deepEqual(hook.state.seqs.slice(0, fromChain.length), fromChain.map((record) => record.seq));
    });

    test('block: while the webhook is down admin writes get 503 audit.sink_unavailable, reads work, and once back it gets every record in order', async () => {
      hook.state.up = false;
      // This write commits (the sink was up when it started); its delivery fails.
      const reply = await gw.admin.call('POST', '/v1/consumers', { name: 'written-before-the-outage-was-seen' });
      assert.equal(reply.status, 201);
      await eventually(() => hook.state.refused > 0, 'the webhook refused a delivery');
      await eventually(async () => (await gw.admin.call('POST', '/v1/consumers', { name: 'probe-write' })).status === 503, 'writes are refused');
      const refused = await gw.admin.call('POST', '/v1/consumers', { name: 'refused-write' });
      assertProblem(refused, 503, 'audit.sink_unavailable');
      assert.equal((await gw.admin.call('GET', '/v1/consumers')).status, 200, 'reads still work');
      hook.state.up = true;
      await eventually(async () => (await gw.admin.call('POST', '/v1/consumers', { name: 'after-recovery' })).status === 201, 'writes accepted again');
      const records = await chain();
      const first = hook.state.seqs[0]!;
      await eventually(() => hook.state.seqs.at(-1) === records.at(-1)!.seq, 'the webhook caught up');
      const expected = records.filter((record) => record.seq >= first).map((record) => record.seq);
      // At least once: a repeat is possible, a gap or a reordering is not.
      assert.deepEqual([...new Set(hook.state.seqs)], expected);
      assert.ok(!records.some((record) => record.target.kind === 'consumer' && JSON.stringify(record).includes('refused-write')), 'the refused write changed nothing');
    });

    test('1000 bad admin requests from one client add one admin.auth_denied record, with the count', async () => {
      const before = (await chain()).length;
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 100 }, () => httpRequest(`${gw.gateway.adminUrl}/v1/consumers`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdefghij' } })));
      }
      await gw.gateway.services.auditStreaming!.flush();
      const added = (await chain()).slice(before);
      const denied = added.filter((record) => record.action === 'admin.auth_denied');
      assert.equal(denied.length, 1, JSON.stringify(added.map((record) => record.action)));
      assert.equal(denied[0]!.detail?.count, 1000);
      assert.equal(denied[0]!.detail?.reason, 'admin.unauthorized');
      assert.equal(denied[0]!.outcome, 'denied');
      assert.equal(denied[0]!.sourceIp, '127.0.0.1');
      assert.ok(!JSON.stringify(added).includes('wrong-token'), 'the presented credential is not on record');
      assert.ok(!JSON.stringify(await chain()).includes(ADMIN_TOKEN), 'nor the admin token');
    });

    test('a revoked API key presented on the data plane is on record as api_key.used_after_revocation, off the request path', async () => {
      const consumerId = await gw.admin.consumer('revoked-user');
      const { key, id } = await gw.admin.key(consumerId, ['accounts:read']);
      assert.equal((await gw.admin.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
      await eventually(async () => (await httpRequest(`${gw.url}/v1/accounts/1`, { headers: { 'x-api-key': key } })).status === 401, 'the revocation reached the data plane');
      await httpRequest(`${gw.url}/v1/accounts/1`, { headers: { 'x-api-key': key } });
      await eventually(async () => (await chain()).some((record) => record.action === 'api_key.used_after_revocation' && record.target.id === id), 'the event is on record');
      const events = (await chain()).filter((record) => record.action === 'api_key.used_after_revocation');
      assert.ok(events.every((record) => record.outcome === 'denied' && record.sourceIp === '127.0.0.1' && Number(record.detail?.count) >= 1));
      assert.ok(!JSON.stringify(events).includes(key), 'the key itself is never on record');
    });
  });
}
