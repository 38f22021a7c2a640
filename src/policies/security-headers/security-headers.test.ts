import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from '../../../test/helpers/index.js';

describe('policy security-headers', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'default', methods: ['GET'], path: '/default', upstream: 'backend' },
          { name: 'custom', methods: ['GET'], path: '/custom', upstream: 'backend', policies: { 'security-headers': { headers: { 'X-Frame-Options': 'SAMEORIGIN', 'Referrer-Policy': '', 'Permissions-Policy': 'camera=()' } } } },
          { name: 'off', methods: ['GET'], path: '/off', upstream: 'backend', policies: { 'security-headers': { enabled: false } } },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('removes Server and X-Powered-By and sets the defaults on upstream responses', async () => {
    const reply = await httpRequest(`${gw.url}/default`);
    assert.equal(reply.headers.server, undefined);
    assert.equal(reply.headers['x-powered-by'], undefined);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['x-frame-options'], 'DENY');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    assert.equal(reply.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  });

  test('sets them on problem responses too', async () => {
    const reply = await httpRequest(`${gw.url}/nothing-here`);
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['x-frame-options'], 'DENY');
  });

  test('merges configured headers over the defaults and drops a default set to ""', async () => {
    const reply = await httpRequest(`${gw.url}/custom`);
    assert.equal(reply.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(reply.headers['permissions-policy'], 'camera=()');
    assert.equal(reply.headers['referrer-policy'], undefined);
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  });

  test('leaves responses alone where it is turned off', async () => {
    const reply = await httpRequest(`${gw.url}/off`);
    assert.equal(reply.headers.server, 'test-upstream/1.0');
    assert.equal(reply.headers['x-frame-options'], undefined);
  });
});
