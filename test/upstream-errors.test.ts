/**
 * Third-party errors normalised (issue 20 §5): with `errors.mode: normalize`, each class of
 * upstream error becomes its own upstream.* problem with Proxy-Status saying what was received;
 * the upstream's code only when safe, its body only in the debug log, none of its headers but
 * Retry-After; without it, errors pass through untouched.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  // /<status>[/<code>][?gzip]: answers that status with a JSON error body naming the code.
  upstream = await startUpstream((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const [, status = '200', code = 'SOMETHING_INTERNAL'] = url.pathname.split('/');
    const body = Buffer.from(JSON.stringify({ error: { code, message: 'stack trace at Db.query (internal.js:42) for customer 991' } }));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="processor"', 'set-cookie': 'upstream=1', 'x-upstream-debug': 'node-7' };
    if (status === '429' || status === '503') headers['retry-after'] = '7';
    if (url.searchParams.has('gzip')) {
      res.writeHead(Number(status), { ...headers, 'content-encoding': 'gzip' }).end(gzipSync(body));
    } else {
      res.writeHead(Number(status), headers).end(body);
    }
  });
  gw = await startGateway(
    baseConfig([], {
      logging: { level: 'debug' },
      upstreams: {
        normalized: { targets: [upstream.url], errors: { mode: 'normalize', codePointer: '/error/code', safeCodes: ['INVALID_IBAN'] } },
        raw: { targets: [upstream.url] },
      },
      routes: [
        { name: 'normalized', methods: ['GET', 'POST'], path: '/n/*', upstream: 'normalized', stripPrefix: '/n' },
        { name: 'raw', methods: ['GET'], path: '/r/*', upstream: 'raw', stripPrefix: '/r' },
      ],
    }),
  );
});
after(async () => {
  await gw.close();
  await upstream.close();
});

function assertNothingOfTheUpstream(reply: { headers: Record<string, unknown>; text: string }): void {
  for (const header of ['www-authenticate', 'set-cookie', 'x-upstream-debug']) assert.equal(reply.headers[header], undefined, header);
  assert.doesNotMatch(reply.text, /stack trace|customer 991|SOMETHING_INTERNAL/);
}

test('a 4xx becomes 400 upstream.rejected with upstreamStatus, the safe upstream code kept, and Proxy-Status received-status', async () => {
  const reply = await httpRequest(`${gw.url}/n/422/INVALID_IBAN`);
  const problem = assertProblem(reply, 400, 'upstream.rejected');
  assert.equal(problem.upstreamStatus, 422);
  assert.equal(problem.upstreamCode, 'INVALID_IBAN');
  assert.equal(reply.headers['proxy-status'], 'portcullis; received-status=422; details="upstream.rejected"');
  assertNothingOfTheUpstream(reply);
});

test('an upstream code not listed as safe is dropped; a gzip-coded error body is read through the seam', async () => {
  const unsafe = assertProblem(await httpRequest(`${gw.url}/n/404/SOMETHING_INTERNAL`), 400, 'upstream.rejected');
  assert.equal(unsafe.upstreamCode, undefined);
  assert.equal(unsafe.upstreamStatus, 404);
  const coded = await httpRequest(`${gw.url}/n/400/INVALID_IBAN?gzip`);
  assert.equal(assertProblem(coded, 400, 'upstream.rejected').upstreamCode, 'INVALID_IBAN');
  assert.equal(coded.headers['content-encoding'], undefined);
});

test("401 and 403 from the upstream become 502 upstream.auth_failed, never a 401 and never the upstream's WWW-Authenticate", async () => {
  for (const status of [401, 403]) {
    const reply = await httpRequest(`${gw.url}/n/${status}`);
    assert.equal(assertProblem(reply, 502, 'upstream.auth_failed').upstreamStatus, status);
    assert.equal(reply.headers['proxy-status'], `portcullis; received-status=${status}; details="upstream.auth_failed"`);
    assertNothingOfTheUpstream(reply);
  }
});

test('429 becomes 429 upstream.rate_limited with Retry-After kept; 5xx becomes 502 upstream.failed (a 503 keeps Retry-After)', async () => {
  const limited = await httpRequest(`${gw.url}/n/429`);
  assertProblem(limited, 429, 'upstream.rate_limited');
  assert.equal(limited.headers['retry-after'], '7');
  assertNothingOfTheUpstream(limited);
  const failed = await httpRequest(`${gw.url}/n/500`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(assertProblem(failed, 502, 'upstream.failed').upstreamStatus, 500);
  assert.equal(failed.headers['retry-after'], undefined);
  const unavailable = await httpRequest(`${gw.url}/n/503`);
  assertProblem(unavailable, 502, 'upstream.failed');
  assert.equal(unavailable.headers['retry-after'], '7');
});

test('the raw error body is only in the debug log, and each normalisation is counted', async () => {
  const reply = await httpRequest(`${gw.url}/n/409/CONFLICT_X`);
  assertProblem(reply, 400, 'upstream.rejected');
  const requestId = JSON.parse(reply.text).instance;
  const logged = await gw.logs.waitFor((r) => r.event === 'upstream.error_normalized' && r.requestId === requestId);
  assert.equal(logged.level, 'debug');
  const elsewhere = gw.logs.records.filter((r) => r.event !== 'upstream.error_normalized' && JSON.stringify(r).includes('customer 991'));
  assert.deepEqual(elsewhere, [], 'no other log line carries the body');
  assert.equal(logged.status, 409);
  assert.match(String(logged.body), /CONFLICT_X/);
  const counted = (await gw.gateway.services.metrics.upstreamErrorsNormalized.get()).values.find((v) => v.labels.upstream === 'normalized' && v.labels.code === 'upstream.rejected');
  assert.ok(counted && counted.value >= 1);
});

test('success passes through, and without errors.mode normalize the upstream error goes to the client as it is', async () => {
  const ok = await httpRequest(`${gw.url}/n/200/OK`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['proxy-status'], undefined);
  const raw = await httpRequest(`${gw.url}/r/401`);
  assert.equal(raw.status, 401);
  assert.equal(raw.headers['www-authenticate'], 'Bearer realm="processor"');
  assert.match(raw.text, /SOMETHING_INTERNAL/);
  assert.equal(raw.headers['proxy-status'], undefined);
});
