import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { formatIssue, validateConfig } from '../../config/loader.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from '../../../test/helpers/index.js';

const ACCOUNTS = {
  data: [
    { id: 'a1', iban: 'NL91ABNA0417164300', balance: 10.5, owner: { name: 'Jane', email: 'jane@example.com' } },
    { id: 'a2', iban: 'GB82WEST12345698765432', balance: 3, owner: { name: 'Joe', email: 'joe@example.com' } },
  ],
};
const EXPECTED = { data: [{ id: 'a1', iban: '**************4300', owner: { name: 'Jane' } }, { id: 'a2', iban: '******************5432', owner: { name: 'Joe' } }] };

const accountsPolicy = {
  fields: {
    response: { mode: 'allow', paths: ['/data/*/id', '/data/*/iban', '/data/*/owner/name'], redact: [{ path: '/data/*/iban', action: 'mask', keepLast: 4 }] },
  },
};

describe('policy fields', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream((req, res, recorded) => {
      const url = new URL(req.url!, 'http://upstream');
      const json = Buffer.from(JSON.stringify(ACCOUNTS));
      if (url.pathname === '/accounts') {
        const coding = url.searchParams.get('coding');
        const body = coding === 'gzip' ? gzipSync(json) : coding === 'br' ? brotliCompressSync(json) : json;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...(coding ? { 'content-encoding': coding } : {}), etag: '"v1"' });
        res.end(body);
        return;
      }
      if (url.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: "x".repeat(4096) }));
        return;
      }
      if (url.pathname === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end("<p>4111111111111111</p>");
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: recorded.body.toString('utf8'), length: req.headers['content-length'] ?? null }));
    });
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'accounts', methods: ['GET', 'HEAD'], path: '/accounts', upstream: 'backend', policies: accountsPolicy },
          { name: 'big', methods: ['GET'], path: '/big', upstream: 'backend', policies: { fields: { maxBodyBytes: 1024, response: { mode: 'deny', paths: ['/secret'] } } } },
          { name: 'html', methods: ['GET'], path: '/html', upstream: 'backend', policies: { fields: { response: { mode: 'deny', paths: ['/secret'] } } } },
          {
            name: 'payments',
            methods: ['POST'],
            path: '/payments',
            upstream: 'backend',
            policies: { fields: { request: { mode: 'allow', paths: ['/amount', '/creditor/iban'], detect: { detectors: ['email'], action: 'replace', with: '[email]' } } } },
          },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('a partner receives only the allowed fields, with masked IBANs, from a plain body', async () => {
    const reply = await httpRequest(`${gw.url}/accounts`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), EXPECTED);
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(reply.text)));
    assert.equal(reply.headers.etag, undefined, 'the validator of the unfiltered representation is dropped');
  });

  for (const coding of ['gzip', 'br']) {
    test(`filters a ${coding}-coded response and sends it decoded`, async () => {
      const reply = await httpRequest(`${gw.url}/accounts?coding=${coding}`, { headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-encoding'], undefined);
      assert.deepEqual(reply.json(), EXPECTED);
    });
  }

  test('refuses a response over maxBodyBytes with 502 upstream.response_too_large instead of sending it unfiltered', async () => {
    const reply = await httpRequest(`${gw.url}/big`);
    assertProblem(reply, 502, 'upstream.response_too_large');
    assert.doesNotMatch(reply.text, /xxxx/);
  });

  test('refuses a response that is not JSON with 502 upstream.response_not_json', async () => {
    const reply = await httpRequest(`${gw.url}/html`);
    assertProblem(reply, 502, 'upstream.response_not_json');
    assert.doesNotMatch(reply.text, /4111/);
  });

  test('a HEAD request passes without a body to filter', async () => {
    const reply = await httpRequest(`${gw.url}/accounts`, { method: 'HEAD' });
    assert.equal(reply.status, 200);
  });

  test('the upstream receives the minimised request body with its own Content-Length', async () => {
    const sent = JSON.stringify({ amount: 12.5, creditor: { iban: 'NL91ABNA0417164300', name: 'Acme', contact: 'ops@acme.example' }, debtor: { iban: 'GB82WEST12345698765432' }, note: 'mail me at jane@example.com' });
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
    assert.equal(reply.status, 200);
    const { received, length } = reply.json<{ received: string; length: string }>();
    assert.deepEqual(JSON.parse(received), { amount: 12.5, creditor: { iban: 'NL91ABNA0417164300' } });
    assert.equal(length, String(Buffer.byteLength(received)));
  });

  test('the request-side detector rewrites detected values in what is kept', async () => {
    const sent = JSON.stringify({ amount: 1, creditor: { iban: 'jane@example.com' } });
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
    assert.deepEqual(JSON.parse(reply.json<{ received: string }>().received), { amount: 1, creditor: { iban: '[email]' } });
  });

  test('refuses a request body that is not JSON with 415, so the allowlist cannot be bypassed', async () => {
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'debtor=GB82WEST12345698765432' });
    assertProblem(reply, 415, 'request.unsupported_media_type');
    assert.equal(upstream.requests.some((r) => r.body.toString().includes('debtor=')), false);
  });

  test('refuses a request body that is not valid JSON with 400 validation.failed', async () => {
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":1,' });
    assertProblem(reply, 400, 'validation.failed');
  });

  test('a hash operator without a key, or with a key under 32 characters, is refused at load', () => {
    const withHash = (extra: Record<string, unknown>) =>
      baseConfig(['http://127.0.0.1:1'], { policies: { fields: { response: { redact: [{ path: '/email', action: 'hash' }] }, ...extra } } });
    const missing = validateConfig(withHash({}), {});
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.issues.map(formatIssue).join('\n'), /hashKey.*needs a key/);
    const short = validateConfig(withHash({ hashKey: '${env:FIELDS_KEY}' }), { FIELDS_KEY: 'too-short' });
    assert.match(short.ok ? '' : short.issues.map(formatIssue).join('\n'), /hashKey.*at least 32/);
    assert.equal(validateConfig(withHash({ hashKey: '${env:FIELDS_KEY}' }), { FIELDS_KEY: 'k'.repeat(32) }).ok, true);
    const onRoute = baseConfig(['http://127.0.0.1:1'], { routes: [{ name: 'r', path: '/r', upstream: 'backend', policies: { fields: { hashKey: '${env:FIELDS_KEY}', response: { redact: [{ path: '/email', action: 'hash' }] } } } }] });
    const routeShort = validateConfig(onRoute, { FIELDS_KEY: 'too-short' });
    assert.match(routeShort.ok ? '' : routeShort.issues.map(formatIssue).join('\n'), /routes\[0\]\.policies\.fields\.hashKey.*at least 32/);
  });

  test('a path list without a mode, or a mode without paths, is refused at load', () => {
    const config = (response: Record<string, unknown>) => baseConfig(['http://127.0.0.1:1'], { policies: { fields: { response } } });
    assert.equal(validateConfig(config({ paths: ['/a'] }), {}).ok, false);
    assert.equal(validateConfig(config({ mode: 'allow' }), {}).ok, false);
  });
});
