/**
 * A brute-force block on a running gateway is on record (issue 17 §1: security events the data
 * plane raises): failed API-key authentications from one client past `bruteForce.maxFailures` are
 * refused with 429 and written, off the request path, as one `security.client_blocked` record with
 * the client's address, scope and count, which verifies with the rest of the chain.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain } from '../src/audit/verify.js';
import type { AuditRecord } from '../src/store/audit-record.js';
import { assertProblem, eventually, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';

let upstream: TestUpstream;
let gw: Awaited<ReturnType<typeof startKeyGateway>>;

before(async () => {
  upstream = await startUpstream();
  gw = await startKeyGateway(upstream.url, {
    routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts/*', upstream: 'backend', policies: { 'auth-apikey': {} } }],
    bruteForce: { maxFailures: 3, windowSeconds: 60, blockSeconds: 300 },
    audit: { securityEvents: { flushIntervalMs: 100 } },
  });
});
after(async () => {
  await gw?.close();
  await upstream?.close();
});

test('a client blocked for failed authentications is one security.client_blocked record, written off the request path', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await httpRequest(`${gw.url}/v1/accounts/1`, { headers: { 'x-api-key': `ptc_live_not-a-key-${i}` } })).status, 401);
  assertProblem(await httpRequest(`${gw.url}/v1/accounts/1`, { headers: { 'x-api-key': 'ptc_live_not-a-key-4' } }), 429, 'auth.too_many_failures');
  const log = new AuditLog(gw.gateway.services.store!.db);
  let blocked: AuditRecord[] = [];
  await eventually(async () => (blocked = await log.page({ action: 'security.client_blocked' }, { limit: 10 })).length > 0, 'the block is on record');
  assert.equal(blocked.length, 1);
  const record = blocked[0]!;
  assert.deepEqual([record.outcome, record.actor.type, record.target, record.sourceIp, record.detail?.scope, record.detail?.count], ['denied', 'data-plane', { kind: 'client_ip', id: '127.0.0.1' }, '127.0.0.1', 'data', 1]);
  assert.ok(!JSON.stringify(record).includes('not-a-key'), 'what the client presented is never on record');
  const report = await verifyChain(await log.liveChain());
  assert.deepEqual(report.findings.filter((finding) => finding.kind !== 'not_anchored'), []);
});
