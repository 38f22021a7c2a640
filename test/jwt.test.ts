import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportSPKI, importJWK, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, baseConfig, eventually, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { newSigningKey, signRawRs256, startIdp, type TestIdp } from './helpers/jwks.js';
import { startKeyGateway } from './helpers/keys.js';

const AUDIENCE = 'https://api.bank.example';
const SECOND = 1000;

function route(name: string, path: string, jwt: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { name, methods: ['GET'], path, upstream: 'backend', policies: { 'auth-jwt': jwt, ...extra } };
}

describe('auth-jwt against a real JWKS server', () => {
  let idp: TestIdp;
  let upstream: TestUpstream;
  let gw: TestGateway;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: idp.issuer, aud: AUDIENCE, sub: 'partner-42', client_id: 'payroll-app', scope: 'accounts:read payments:write', jti: randomUUID(), iat: nowSeconds(), exp: nowSeconds() + 300, ...extra });
  const call = (path: string, token: string | undefined) => httpRequest(`${gw.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  before(async () => {
    idp = await startIdp();
    upstream = await startUpstream();
    const issuer = { issuer: idp.issuer, jwksUrl: idp.jwksUrl, refreshSeconds: 3600, minRefetchSeconds: 30, maxStaleSeconds: 7200 };
    gw = await startGateway(
      baseConfig([upstream.url], {
        bruteForce: { maxFailures: 10000 },
        routes: [
          route('accounts', '/v1/accounts', { issuers: [issuer], audiences: [AUDIENCE], typ: 'at+jwt' }, { authorize: { scopes: ['accounts:read'] } }),
          route('audit', '/v1/audit', { issuers: [issuer], audiences: [AUDIENCE], scopes: ['audit:read'], requiredClaims: ['jti'] }),
        ],
      }),
      { clock },
    );
    await eventually(() => idp.jwksFetches === 1, 'the keys are fetched at start');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await idp.close();
  });

  test('accepts a valid token, maps its claims to identity headers and strips it before forwarding', async () => {
    const reply = await call('/v1/accounts', await idp.sign(claims()));
    assert.equal(reply.status, 200, reply.text);
    const seen = reply.json<{ headers: Record<string, string> }>().headers;
    assert.equal(seen['x-consumer-id'], `${idp.issuer}#partner-42`, 'scoped by its issuer');
    assert.equal(seen['x-auth-subject'], 'partner-42');
    assert.equal(seen['x-auth-method'], 'jwt');
    assert.equal(seen['x-client-id'], 'payroll-app');
    assert.equal(seen['x-consumer-scopes'], 'accounts:read payments:write');
    assert.equal(seen.authorization, undefined);
  });

  test('reads scopes from an scp list as well as from scope', async () => {
    const reply = await call('/v1/accounts', await idp.sign(claims({ scope: undefined, scp: ['accounts:read'] })));
    assert.equal(reply.status, 200, reply.text);
  });

  test('refuses a consumer claim unfit for a header with 401 auth.token_claims_invalid, and drops unusable scopes', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ sub: 'p\u00e4rtner\r\nx-admin: 1' }))), 401, 'auth.token_claims_invalid');
    // List, parameter and quoted-string syntax would make one consumer id read as two, or two as one.
    for (const sub of ['a,b', 'a;b', 'a"b', 'a\\b', 'a b', 'x'.repeat(300)]) assertProblem(await call('/v1/accounts', await idp.sign(claims({ sub }))), 401, 'auth.token_claims_invalid');
    const reply = await call('/v1/accounts', await idp.sign(claims({ scope: 'accounts:read sch\u00f6n "quoted"' })));
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json<{ headers: Record<string, string> }>().headers['x-consumer-scopes'], 'accounts:read');
  });

  test('refuses a request without a token with 401 auth.missing_credentials and a Bearer challenge', async () => {
    const reply = await call('/v1/accounts', undefined);
    assertProblem(reply, 401, 'auth.missing_credentials');
    assert.match(String(reply.headers['www-authenticate']), /^Bearer realm="portcullis"/);
  });

  test('rejects a tampered signature with 401 auth.token_invalid and invalid_token', async () => {
    const token = await idp.sign(claims());
    const [head, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(), sub: 'someone-else' })).toString('base64url');
    const reply = await call('/v1/accounts', `${head}.${forged}.${signature}`);
    assertProblem(reply, 401, 'auth.token_invalid');
    assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
    assert.ok(payload);
    const flipped = `${head}.${payload}.${signature!.slice(0, -4)}${signature!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    assertProblem(await call('/v1/accounts', flipped), 401, 'auth.token_invalid');
  });

  test('refuses a token whose header or claims repeat a member name (at any depth, escaped or not) with 401 auth.token_invalid', async () => {
    const header = (extra = '') => `{"alg":"RS256","kid":"${idp.current.kid}","typ":"at+jwt"${extra}}`;
    const body = JSON.stringify(claims()).slice(0, -1);
    const exact = signRawRs256(header(), `${body}}`, idp.current);
    assert.equal((await call('/v1/accounts', exact)).status, 200, 'the same tokens without the repetition pass');
    const repeated = [
      signRawRs256(header(), `${body},"sub":"admin"}`, idp.current),
      signRawRs256(header(), `${body},"\\u0073ub":"admin"}`, idp.current),
      signRawRs256(header(), `${body},"cnf":{"jkt":"a","jkt":"b"}}`, idp.current),
      signRawRs256(header(',"typ":"JWT"'), `${body}}`, idp.current),
      signRawRs256(header(`,"kid":"${randomUUID()}"`), `${body}}`, idp.current),
    ];
    for (const token of repeated) {
      const reply = await call('/v1/accounts', token);
      assertProblem(reply, 401, 'auth.token_invalid');
      assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
    }
  });

  test('rejects an expired token with 401 auth.token_expired (beyond the clock skew)', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 61 }))), 401, 'auth.token_expired');
    // Within the 60 s skew it still passes.
    assert.equal((await call('/v1/accounts', await idp.sign(claims({ exp: nowSeconds() - 30 })))).status, 200);
  });

  test('a token remembered as verified still expires with 401 auth.token_expired', async () => {
    const token = await idp.sign(claims({ exp: nowSeconds() + 10 }));
    assert.equal((await call('/v1/accounts', token)).status, 200);
    assert.equal((await call('/v1/accounts', token)).status, 200, 'served from the verified-token cache');
    clock.advance(71 * SECOND);
    assertProblem(await call('/v1/accounts', token), 401, 'auth.token_expired');
  });

  test('rejects a token that is not valid yet with 401 auth.token_not_yet_valid (nbf, and iat in the future)', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ nbf: nowSeconds() + 120 }))), 401, 'auth.token_not_yet_valid');
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ iat: nowSeconds() + 120, exp: nowSeconds() + 600 }))), 401, 'auth.token_not_yet_valid');
  });

  test('rejects a token for another audience with 401 auth.token_audience_invalid', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ aud: 'https://other.example' }))), 401, 'auth.token_audience_invalid');
  });

  test('rejects a token from an issuer the route does not accept with 401 auth.token_issuer_unknown', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ iss: 'https://evil.example/' }))), 401, 'auth.token_issuer_unknown');
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ iss: undefined }))), 401, 'auth.token_issuer_unknown');
  });

  test('rejects alg none with 401 auth.token_algorithm_refused', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    assertProblem(await call('/v1/accounts', unsigned), 401, 'auth.token_algorithm_refused');
  });

  test('rejects HS256 signed with the RSA public key as the secret with 401 auth.token_algorithm_refused', async () => {
    const publicPem = await exportSPKI((await importJWK(idp.current.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    for (const secret of [new TextEncoder().encode(publicPem), new TextEncoder().encode(JSON.stringify(idp.current.publicJwk))]) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: idp.current.kid, typ: 'at+jwt' }).sign(secret);
      assertProblem(await call('/v1/accounts', token), 401, 'auth.token_algorithm_refused');
    }
  });

  test('rejects an oversized token with 401 auth.token_too_large before parsing it', async () => {
    const token = await idp.sign(claims({ padding: 'x'.repeat(9000) }));
    assertProblem(await call('/v1/accounts', token), 401, 'auth.token_too_large');
  });

  test('rejects a token without the required typ, claims or scopes with its own code', async () => {
    assertProblem(await call('/v1/accounts', await idp.sign(claims(), { header: { typ: 'JWT' } })), 401, 'auth.token_claims_invalid');
    assertProblem(await call('/v1/audit', await idp.sign(claims({ jti: undefined, scope: 'audit:read' }))), 401, 'auth.token_claims_invalid');
    assertProblem(await call('/v1/audit', await idp.sign(claims())), 403, 'auth.insufficient_scope');
    assertProblem(await call('/v1/accounts', await idp.sign(claims({ scope: 'payments:write' }))), 403, 'auth.insufficient_scope');
  });

  test('a flood of unknown kids makes at most one JWKS fetch per minRefetchSeconds (401 auth.token_key_unknown)', async () => {
    clock.advance(31 * SECOND);
    const stranger = await newSigningKey();
    const before = idp.jwksFetches;
    const replies = await Promise.all(
      Array.from({ length: 40 }, async () => call('/v1/accounts', await idp.sign(claims(), { key: { ...stranger, kid: randomUUID() } }))),
    );
    for (const reply of replies) assertProblem(reply, 401, 'auth.token_key_unknown');
    assert.equal(idp.jwksFetches - before, 1, 'one re-fetch for the whole flood');
    clock.advance(5 * SECOND);
    for (let i = 0; i < 10; i++) assertProblem(await call('/v1/accounts', await idp.sign(claims(), { key: { ...stranger, kid: randomUUID() } })), 401, 'auth.token_key_unknown');
    assert.equal(idp.jwksFetches - before, 1, 'no further fetch within the interval');
  });

  test('follows a key rotation mid-test: the new kid triggers a re-fetch, a withdrawn key stops working', async () => {
    clock.advance(31 * SECOND);
    const old = idp.current;
    await idp.rotate();
    const fetches = idp.jwksFetches;
    assert.equal((await call('/v1/accounts', await idp.sign(claims()))).status, 200, 'a token signed with the new key');
    assert.equal(idp.jwksFetches, fetches + 1);
    assert.equal((await call('/v1/accounts', await idp.sign(claims(), { key: old }))).status, 200, 'the old key is still published');
    clock.advance(31 * SECOND);
    await idp.rotate({ dropOld: true });
    assert.equal((await call('/v1/accounts', await idp.sign(claims()))).status, 200);
    assertProblem(await call('/v1/accounts', await idp.sign(claims(), { key: old })), 401, 'auth.token_key_unknown');
  });

  test('never logs the token', async () => {
    const token = await idp.sign(claims());
    await call('/v1/accounts', token);
    await call('/v1/accounts', `${token}x`);
    assert.ok(!gw.logs.text().includes(token.split('.')[2]!), 'no signature in the logs');
  });
});

describe('auth-jwt when the provider is unreachable', () => {
  test('serves the last good keys for maxStaleSeconds (logged, counted), then answers 503 auth.issuer_unavailable', async () => {
    const idp = await startIdp();
    const upstream = await startUpstream();
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
    const issuer = { issuer: idp.issuer, discoveryUrl: idp.discoveryUrl, refreshSeconds: 60, minRefetchSeconds: 10, maxStaleSeconds: 600 };
    const gw = await startGateway(baseConfig([upstream.url], { routes: [route('accounts', '/v1/accounts', { issuers: [issuer], audiences: [AUDIENCE] })] }), { clock });
    try {
      await eventually(() => idp.jwksFetches === 1 && idp.discoveryFetches === 1, 'discovery, then the JWKS, at start');
      const token = async () => idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub: 'p1', iat: Math.floor(clock.now() / 1000), exp: Math.floor(clock.now() / 1000) + 3600 });
      assert.equal((await httpRequest(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${await token()}` } })).status, 200);
      idp.down = true;
      clock.advance(120 * SECOND);
      const stale = await httpRequest(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${await token()}` } });
      assert.equal(stale.status, 200, 'the last good keys keep serving');
      await gw.logs.waitFor((r) => r.event === 'jwks.serving_stale');
      const metrics = await httpRequest(`${gw.gateway.adminUrl}/metrics`);
      assert.match(metrics.text, /portcullis_jwks_fetches_total\{issuer="[^"]+",outcome="error"\} [1-9]/);
      clock.advance(600 * SECOND);
      const gone = await httpRequest(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${await token()}` } });
      assertProblem(gone, 503, 'auth.issuer_unavailable');
      await gw.logs.waitFor((r) => r.event === 'jwks.keys_expired');
      idp.down = false;
      clock.advance(11 * SECOND);
      assert.equal((await httpRequest(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${await token()}` } })).status, 200, 'back once the provider is');
    } finally {
      await gw.close();
      await upstream.close();
      await idp.close();
    }
  });
});

describe('auth-jwt and issuer documents that repeat a member name', () => {
  test('loads no keys from a JWKS or a discovery document with a repeated name (jwks.fetch_failed, 503 auth.issuer_unavailable)', async () => {
    for (const kind of ['jwks', 'discovery'] as const) {
      const idp = await startIdp();
      const upstream = await startUpstream();
      const key = JSON.stringify(idp.current.publicJwk);
      if (kind === 'jwks') idp.rawJwks = `{"keys":[${key.slice(0, -1)},"kid":"other"}]}`;
      else idp.rawDiscovery = `{"issuer":"${idp.issuer}","jwks_uri":"${idp.jwksUrl}","jwks_uri":"${idp.url}/other.json"}`;
      const issuer = { issuer: idp.issuer, ...(kind === 'jwks' ? { jwksUrl: idp.jwksUrl } : { discoveryUrl: idp.discoveryUrl }) };
      const gw = await startGateway(baseConfig([upstream.url], { routes: [route('r', '/r', { issuers: [issuer], audiences: [AUDIENCE] })] }));
      try {
        const failed = await gw.logs.waitFor((r) => r.event === 'jwks.fetch_failed');
        assert.match(String(failed.error), /more than once/);
        const now = Math.floor(Date.now() / 1000);
        const token = await idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub: 's1', exp: now + 60 });
        assertProblem(await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } }), 503, 'auth.issuer_unavailable');
      } finally {
        await gw.close();
        await upstream.close();
        await idp.close();
      }
    }
  });
});

describe('auth-jwt and the jwks_uri of a discovery document', () => {
  test('does not fetch a jwks_uri that breaks the key URL rules (jwks.fetch_failed, 503 auth.issuer_unavailable)', async () => {
    const idp = await startIdp();
    const upstream = await startUpstream();
    idp.rawDiscovery = JSON.stringify({ issuer: idp.issuer, jwks_uri: idp.jwksUrl.replace('http://', 'http://user:secret@') });
    const gw = await startGateway(baseConfig([upstream.url], { routes: [route('r', '/r', { issuers: [{ issuer: idp.issuer, discoveryUrl: idp.discoveryUrl }], audiences: [AUDIENCE] })] }));
    try {
      const failed = await gw.logs.waitFor((r) => r.event === 'jwks.fetch_failed');
      assert.match(String(failed.error), /jwks_uri must not hold credentials/);
      assert.equal(idp.jwksFetches, 0);
      const token = await idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub: 's1', exp: Math.floor(Date.now() / 1000) + 60 });
      assertProblem(await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } }), 503, 'auth.issuer_unavailable');
    } finally {
      await gw.close();
      await upstream.close();
      await idp.close();
    }
  });
});

describe('auth-jwt with static keys', () => {
  test('verifies tokens with configured public JWKs and refuses a config holding a private key', async () => {
    const key = await newSigningKey('ES256');
    const upstream = await startUpstream();
    const issuer = { issuer: 'https://idp.static.example', keys: [key.publicJwk], algorithms: ['ES256'] };
    const gw = await startGateway(baseConfig([upstream.url], { routes: [route('r', '/r', { issuers: [issuer], audiences: [AUDIENCE] })] }));
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ iss: issuer.issuer, aud: AUDIENCE, sub: 's1', exp: now + 60 }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
      assert.equal((await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const rs = await newSigningKey('RS256');
      const other = await new SignJWT({ iss: issuer.issuer, aud: AUDIENCE, sub: 's1', exp: now + 60 }).setProtectedHeader({ alg: 'RS256', kid: rs.kid }).sign(rs.privateKey);
      assertProblem(await httpRequest(`${gw.url}/r`, { headers: { authorization: `Bearer ${other}` } }), 401, 'auth.token_algorithm_refused');
    } finally {
      await gw.close();
      await upstream.close();
    }
    const { validateConfig } = await import('../src/config/loader.js');
    const privateJwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' };
    const checked = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-jwt': { issuers: [{ issuer: 'i', keys: [privateJwk] }], audiences: ['a'] } } }), {});
    assert.equal(checked.ok, false);
    const clash = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-jwt': { issuers: [{ issuer: 'https://a.example', keys: [key.publicJwk] }, { issuer: 'https://b.example', keys: [key.publicJwk], consumerPrefix: 'https://a.example#x' }], audiences: ['a'] } } }), {});
    assert.equal(clash.ok, false, "one issuer's consumer ids could be another's");
    assert.match(clash.ok ? '' : clash.issues.map((issue) => issue.message).join('\n'), /could be those of issuers\[0\]/);
    const unsafeIssuer = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-jwt': { issuers: [{ issuer: 'partner "a", b', keys: [key.publicJwk] }], audiences: ['a'] } } }), {});
    assert.equal(unsafeIssuer.ok, false, 'an issuer that cannot prefix consumer ids needs consumerPrefix');
    const prefixed = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-jwt': { issuers: [{ issuer: 'partner "a", b', keys: [key.publicJwk], consumerPrefix: 'partner-a:' }], audiences: ['a'] } } }), {});
    assert.equal(prefixed.ok, true, prefixed.ok ? '' : JSON.stringify(prefixed.issues));
    const plainHttp = validateConfig(baseConfig(['http://127.0.0.1:1'], { policies: { 'auth-jwt': { issuers: [{ issuer: 'i', jwksUrl: 'http://idp.example/jwks' }], audiences: ['a'] } } }), {});
    assert.equal(plainHttp.ok, false, 'keys over plain HTTP from another host are refused');
  });
});

describe('a route that accepts an API key or a JWT', () => {
  let idp: TestIdp;
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let consumerId: string;
  let apiKey: string;

  before(async () => {
    idp = await startIdp();
    upstream = await startUpstream();
    const issuer = { issuer: idp.issuer, jwksUrl: idp.jwksUrl };
    gw = await startKeyGateway(upstream.url, {
      routes: [
        {
          name: 'either',
          methods: ['GET'],
          path: '/v1/either',
          upstream: 'backend',
          policies: { 'auth-apikey': { required: false }, 'auth-jwt': { required: false, issuers: [issuer], audiences: [AUDIENCE] }, authorize: { scopes: ['accounts:read'] } },
        },
        {
          name: 'trusted',
          methods: ['GET'],
          path: '/v1/trusted',
          upstream: 'backend',
          policies: { 'auth-apikey': { required: false }, 'auth-jwt': { required: false, issuers: [{ ...issuer, consumerPrefix: '' }], audiences: [AUDIENCE] }, authorize: { scopes: ['accounts:read'] } },
        },
      ],
    });
    consumerId = await gw.admin.consumer('acme');
    apiKey = (await gw.admin.key(consumerId, ['accounts:read'])).key;
    await eventually(() => gw.gateway.services.keyIndex!.size >= 1, 'the key reaches the index');
  });
  after(async () => {
    await gw.close();
    await upstream.close();
    await idp.close();
  });
  const jwtFor = (sub: string) => idp.sign({ iss: idp.issuer, aud: AUDIENCE, sub, scope: 'accounts:read', exp: Math.floor(Date.now() / 1000) + 60 });

  test('accepts either credential, each skipped by the other policy', async () => {
    const byKey = await httpRequest(`${gw.url}/v1/either`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(byKey.status, 200, byKey.text);
    assert.equal(byKey.json<{ headers: Record<string, string> }>().headers['x-auth-method'], 'api_key');
    const byJwt = await httpRequest(`${gw.url}/v1/either`, { headers: { authorization: `Bearer ${await jwtFor('someone')}` } });
    assert.equal(byJwt.status, 200, byJwt.text);
    assert.equal(byJwt.json<{ headers: Record<string, string> }>().headers['x-auth-method'], 'jwt');
  });

  test('still refuses an invalid credential of either kind, and no credential at all', async () => {
    assertProblem(await httpRequest(`${gw.url}/v1/either`, { headers: { authorization: 'Bearer ptc_live_nope' } }), 401, 'auth.key_invalid');
    const token = await jwtFor('someone');
    assertProblem(await httpRequest(`${gw.url}/v1/either`, { headers: { authorization: `Bearer ${token}x` } }), 401, 'auth.token_invalid');
    assertProblem(await httpRequest(`${gw.url}/v1/either`), 401, 'auth.missing_credentials');
  });

  test('refuses an API key and a JWT of different consumers with 401 auth.credentials_conflict', async () => {
    const headers = { 'x-api-key': apiKey, authorization: `Bearer ${await jwtFor('someone-else')}` };
    assertProblem(await httpRequest(`${gw.url}/v1/either`, { headers }), 401, 'auth.credentials_conflict');
    const trusted = await httpRequest(`${gw.url}/v1/trusted`, { headers: { 'x-api-key': apiKey, authorization: `Bearer ${await jwtFor(consumerId)}` } });
    assert.equal(trusted.status, 200, trusted.text);
    assert.equal(trusted.json<{ headers: Record<string, string> }>().headers['x-consumer-id'], consumerId);
  });

  test("an external issuer's token cannot name a store consumer unless its issuer is configured with consumerPrefix: ''", async () => {
    const named = await httpRequest(`${gw.url}/v1/either`, { headers: { authorization: `Bearer ${await jwtFor(consumerId)}` } });
    assert.equal(named.status, 200, named.text);
    assert.equal(named.json<{ headers: Record<string, string> }>().headers['x-consumer-id'], `${idp.issuer}#${consumerId}`, 'scoped by its issuer');
    const both = await httpRequest(`${gw.url}/v1/either`, { headers: { 'x-api-key': apiKey, authorization: `Bearer ${await jwtFor(consumerId)}` } });
    assertProblem(both, 401, 'auth.credentials_conflict');
  });
});
