import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from '../../../test/helpers/index.js';

describe('policy cors', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const app = 'https://app.example.com';

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      baseConfig([upstream.url], {
        policies: { cors: { allowOrigins: [app], allowCredentials: true, maxAgeSeconds: 120 } },
        routes: [
          { name: 'payments', methods: ['GET', 'POST'], path: '/payments', upstream: 'backend' },
          { name: 'open', methods: ['GET'], path: '/public', upstream: 'backend', policies: { cors: { allowOrigins: ['*'] } } },
          { name: 'no-cors', methods: ['GET'], path: '/internal', upstream: 'backend', policies: { cors: { allowOrigins: [app], enabled: false } } },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const preflight = (path: string, origin: string, method = 'POST') =>
    httpRequest(`${gw.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' } });

  test('answers a preflight from an allowed origin itself, without the upstream', async () => {
    const before = upstream.requests.length;
    const reply = await preflight('/payments', app);
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['access-control-allow-origin'], app);
    assert.equal(reply.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(reply.headers['access-control-allow-credentials'], 'true');
    assert.equal(reply.headers['access-control-max-age'], '120');
    assert.match(String(reply.headers['access-control-allow-headers']), /content-type/);
    assert.equal(upstream.requests.length, before);
  });

  test('refuses a preflight from another origin with 403 cors.origin_not_allowed', async () => {
    assertProblem(await preflight('/payments', 'https://evil.example'), 403, 'cors.origin_not_allowed');
  });

  test('adds CORS headers to actual responses for allowed origins only', async () => {
    const allowed = await httpRequest(`${gw.url}/payments`, { headers: { origin: app } });
    assert.equal(allowed.headers['access-control-allow-origin'], app);
    assert.match(String(allowed.headers['access-control-expose-headers']), /x-request-id/);
    assert.match(String(allowed.headers.vary), /Origin/);
    const other = await httpRequest(`${gw.url}/payments`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.status, 200, 'CORS is not access control: the request is still served');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('answers "*" for any origin on a route that allows any origin without credentials', async () => {
    const reply = await httpRequest(`${gw.url}/public`, { headers: { origin: 'https://anyone.example' } });
    assert.equal(reply.headers['access-control-allow-origin'], '*');
    assert.equal(reply.headers['access-control-allow-credentials'], undefined);
  });

  test('refuses a preflight with 405 on a route where CORS is off', async () => {
    assertProblem(await preflight('/internal', app, 'GET'), 405, 'route.method_not_allowed');
  });
});
