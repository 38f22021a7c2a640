import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';

describe('client IP, forwarding headers and request ids', () => {
  test('ignores X-Forwarded-For and friends from a peer that is not a trusted proxy', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['10.0.0.0/8'] }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, {
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'for=203.0.113.7', 'x-request-id': 'chosen-by-client' },
      });
      const seen = upstream.requests.at(-1)!.headers;
      assert.equal(seen['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.notEqual(seen['x-forwarded-host'], 'evil.example');
      assert.doesNotMatch(String(seen.forwarded), /203\.0\.113\.7/);
      assert.notEqual(reply.headers['x-request-id'], 'chosen-by-client');
      const line = await gw.logs.accessLine(reply.headers['x-request-id']);
      assert.equal(line.clientIp, '127.0.0.1');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('takes the client IP from a trusted proxy chain, stopping at the first untrusted hop', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, {
        // 198.51.100.1 was written by the client itself (forgeable); 203.0.113.9 is who reached proxy 10.1.2.3.
        headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.2.3', 'x-forwarded-proto': 'https', 'x-request-id': 'req-from-proxy-42' },
      });
      const line = await gw.logs.accessLine('req-from-proxy-42');
      assert.equal(line.clientIp, '203.0.113.9');
      const seen = upstream.requests.at(-1)!.headers;
      assert.equal(seen['x-forwarded-for'], '198.51.100.1, 203.0.113.9, 10.1.2.3, 127.0.0.1');
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen['x-request-id'], 'req-from-proxy-42');
      assert.equal(reply.headers['x-request-id'], 'req-from-proxy-42');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('refuses a broken chain from a trusted proxy with 400 rather than guessing', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'] }));
    try {
      assertProblem(await httpRequest(`${gw.url}/x`, { headers: { 'x-forwarded-for': 'not-an-ip' } }), 400, 'request.malformed');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('never keeps an unsafe incoming request id, even from a trusted proxy', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'] }));
    try {
      const reply = await httpRequest(`${gw.url}/x`, { headers: { 'x-request-id': 'evil"\\n{"level":"fatal"}' } });
      assert.match(String(reply.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test("keeps any safe request id with trustIncoming: always, and none with never", async () => {
    const upstream = await startUpstream();
    const always = await startGateway(baseConfig([upstream.url], { requestId: { trustIncoming: 'always' } }));
    const never = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'], requestId: { trustIncoming: 'never' } }));
    try {
      assert.equal((await httpRequest(`${always.url}/x`, { headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id'], 'abc-123');
      assert.notEqual((await httpRequest(`${never.url}/x`, { headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id'], 'abc-123');
    } finally {
      await always.close();
      await never.close();
      await upstream.close();
    }
  });
});
