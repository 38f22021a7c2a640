/**
 * The built-in authorization server's endpoints are internal routes: the global policies of the
 * receive and limit phases (IP rules, size limits, rate limits) protect /oauth2/token like any
 * route, before the endpoint reads the form or authenticates the client. Each test fails if the
 * endpoints skip those phases again (they would answer with OAuth errors instead).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, eventually, httpRequest, startUpstream, type Reply, type TestUpstream } from './helpers/index.js';
import { startKeyGateway } from './helpers/keys.js';

const OAUTH_ENV = { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' };

describe('global receive and limit policies on the built-in token endpoint', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let client: { clientId: string; clientSecret: string };
  // The rate limit's budget refills only when this clock moves, and it never does here.
  const clock = new ManualClock(Date.now());

  /** A token request from `clientIp` (told by the trusted proxy 127.0.0.1 in X-Forwarded-For). */
  const tokenRequest = (clientIp: string, body = 'grant_type=client_credentials', extra: Record<string, string> = {}): Promise<Reply> =>
    httpRequest(`${gw.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': clientIp, authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, ...extra },
      body,
    });

  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(
      upstream.url,
      {
        trustedProxies: ['127.0.0.1/32'],
        oauth: { issuer: 'https://auth.bank.example', audience: 'https://api.bank.example', signingKeySecret: '${env:PORTCULLIS_OAUTH_KEY_SECRET}' },
        policies: {
          'ip-rules': { deny: ['203.0.113.0/24'] },
          'request-size-limit': { maxBytes: 256 },
          // Per consumer: a token request has no principal yet, so it is counted per client IP.
          ratelimit: { limits: [{ name: 'per-consumer', limit: 2, windowSeconds: 60, by: ['consumer'] }] },
        },
      },
      { env: OAUTH_ENV, clock },
    );
    const consumerId = await gw.admin.consumer('acme-bank');
    const reply = await gw.admin.call('POST', '/v1/oauth/clients', { consumerId, name: 'payroll sync', scopes: ['accounts:read'] });
    assert.equal(reply.status, 201, reply.text);
    const created = reply.json<{ clientSecret: string; client: { clientId: string } }>();
    client = { clientId: created.client.clientId, clientSecret: created.clientSecret };
    await eventually(() => gw.gateway.services.oauth!.state.client(client.clientId) !== undefined, 'the client reaches the in-memory state');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('an IP-denied client gets the ip-rules 403 network.ip_blocked at /oauth2/token, not a token', async () => {
    const reply = await tokenRequest('203.0.113.9');
    assertProblem(reply, 403, 'network.ip_blocked');
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.route, 'oauth-token');
    assert.equal(line.clientId, undefined, 'the endpoint never authenticated the client');
  });

  test('a body over the global size limit gets 413 request.body_too_large from request-size-limit', async () => {
    const reply = await tokenRequest('198.51.100.20', `grant_type=client_credentials&scope=${'a'.repeat(300)}`);
    assertProblem(reply, 413, 'request.body_too_large');
  });

  test('a global rate limit counts token requests per client IP: 429 ratelimit.exceeded with RateLimit headers past the limit', async () => {
    const first = await tokenRequest('198.51.100.30');
    assert.equal(first.status, 200, first.text);
    assert.ok(typeof first.json<{ access_token: string }>().access_token === 'string');
    assert.equal(first.headers['ratelimit-policy'], '"per-consumer";q=2;w=60');
    assert.match(String(first.headers.ratelimit), /^"per-consumer";r=1;t=\d+$/);
    assert.equal((await tokenRequest('198.51.100.30')).status, 200);
    const refused = await tokenRequest('198.51.100.30');
    const problem = assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.equal(problem.limit, 'per-consumer');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.match(String(refused.headers.ratelimit), /^"per-consumer";r=0;t=\d+$/);
    // Another client IP has its own budget.
    assert.equal((await tokenRequest('198.51.100.31')).status, 200);
  });
});
