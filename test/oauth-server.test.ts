/**
 * The built-in authorization server end to end, driven by a real OAuth client library
 * (oauth4webapi): discovery (RFC 8414), the client credentials grant with client_secret_basic,
 * client_secret_post and private_key_jwt, then a protected route validating the token with
 * auth-jwt; signing key rotation, revocation, introspection, revoked clients, secret rotation.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, baseConfig, eventually, freePort, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { signRaw } from './helpers/jwks.js';
import { startKeyGateway } from './helpers/keys.js';

const AUDIENCE = 'https://api.bank.example';
const OAUTH_ENV = { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' };
const insecure = { [oauth.allowInsecureRequests]: true };

describe('the built-in authorization server, with a real OAuth client', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let consumerId: string;
  let basicClient: { clientId: string; clientSecret: string };
  const clock = new ManualClock(Date.now());

  const createClient = async (body: Record<string, unknown>) => {
    const reply = await gw.admin.call('POST', '/v1/oauth/clients', { consumerId, name: 'payroll sync', ...body });
    assert.equal(reply.status, 201, reply.text);
    const created = reply.json<{ clientSecret?: string; client: { clientId: string } }>();
    await eventually(() => gw.gateway.services.oauth!.state.client(created.client.clientId) !== undefined, 'the client reaches the in-memory state');
    return { clientId: created.client.clientId, clientSecret: created.clientSecret! };
  };
  const tokenWithSecret = async (client: { clientId: string; clientSecret: string }, scope?: string, auth = oauth.ClientSecretBasic(client.clientSecret)) => {
    const response = await oauth.clientCredentialsGrantRequest(as, { client_id: client.clientId }, auth, scope === undefined ? {} : { scope }, insecure);
    return oauth.processClientCredentialsResponse(as, { client_id: client.clientId }, response);
  };
  const callAccounts = (token: string) => httpRequest(`${gw.url}/v1/accounts`, { headers: { authorization: `Bearer ${token}` } });
  const tokenEndpoint = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    httpRequest(`${gw.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });

  before(async () => {
    upstream = await startUpstream();
    const port = await freePort();
    issuer = new URL(`http://127.0.0.1:${port}`);
    gw = await startKeyGateway(
      upstream.url,
      {
        listeners: [{ name: 'public', host: '127.0.0.1', port }],
        bruteForce: { maxFailures: 1000 },
        oauth: { issuer: issuer.href.replace(/\/$/, ''), audience: AUDIENCE, signingKeySecret: '${env:PORTCULLIS_OAUTH_KEY_SECRET}' },
        routes: [
          {
            name: 'accounts',
            methods: ['GET'],
            path: '/v1/accounts',
            upstream: 'backend',
            policies: { 'auth-jwt': { issuers: [{ issuer: issuer.href.replace(/\/$/, ''), builtin: true }], audiences: [AUDIENCE], typ: 'at+jwt' }, authorize: { scopes: ['accounts:read'] } },
          },
        ],
      },
      { env: OAUTH_ENV, clock },
    );
    consumerId = await gw.admin.consumer('acme-bank');
    basicClient = await createClient({ scopes: ['accounts:read', 'payments:write'] });
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('publishes RFC 8414 metadata that a client library accepts', () => {
    assert.equal(as.issuer, issuer.href.replace(/\/$/, ''));
    assert.equal(as.token_endpoint, `${issuer.origin}/oauth2/token`);
    assert.deepEqual(as.grant_types_supported, ['client_credentials']);
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
  });

  test('issues a token with client_secret_basic for requested ∩ allowed scopes, and a protected route accepts it', async () => {
    const tokens = await tokenWithSecret(basicClient, 'accounts:read admin:all');
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'accounts:read');
    assert.equal(tokens.expires_in, 300);
    assert.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
    const reply = await callAccounts(tokens.access_token);
    assert.equal(reply.status, 200, reply.text);
    const seen = reply.json<{ headers: Record<string, string> }>().headers;
    assert.equal(seen['x-consumer-id'], consumerId);
    assert.equal(seen['x-consumer-name'], 'acme-bank');
    assert.equal(seen['x-client-id'], basicClient.clientId);
    assert.equal(seen['x-auth-method'], 'jwt');
    assert.equal(seen['x-consumer-scopes'], 'accounts:read');
    assert.equal(seen.authorization, undefined, 'the token is not forwarded');
    await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.ok(!gw.logs.text().includes(tokens.access_token.split('.')[2]!), 'the token is never logged');
  });

  test('issues a token with client_secret_post; all registered scopes when none are requested', async () => {
    const tokens = await tokenWithSecret(basicClient, undefined, oauth.ClientSecretPost(basicClient.clientSecret));
    assert.equal(tokens.scope, 'accounts:read payments:write');
    assert.equal((await callAccounts(tokens.access_token)).status, 200);
  });

  test('answers token endpoint errors in the RFC 6749 §5.2 format', async () => {
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const wrong = await tokenEndpoint({ grant_type: 'client_credentials' }, basic(basicClient.clientId, 'pcs_wrong'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json().error, 'invalid_client');
    assert.match(String(wrong.headers['www-authenticate']), /^Basic realm=/);
    assert.equal(wrong.headers['cache-control'], 'no-store');
    assert.equal((await tokenEndpoint({ grant_type: 'client_credentials' })).json().error, 'invalid_client');
    const grant = await tokenEndpoint({ grant_type: 'password' }, basic(basicClient.clientId, basicClient.clientSecret));
    assert.deepEqual([grant.status, grant.json().error], [400, 'unsupported_grant_type']);
    const scope = await tokenEndpoint({ grant_type: 'client_credentials', scope: 'admin:all' }, basic(basicClient.clientId, basicClient.clientSecret));
    assert.deepEqual([scope.status, scope.json().error], [400, 'invalid_scope']);
    const twoMethods = await tokenEndpoint({ grant_type: 'client_credentials', client_id: basicClient.clientId, client_secret: basicClient.clientSecret }, basic(basicClient.clientId, basicClient.clientSecret));
    assert.deepEqual([twoMethods.status, twoMethods.json().error], [400, 'invalid_request']);
    const get = await httpRequest(`${gw.url}/oauth2/token`);
    assert.equal(get.status, 405);
    assert.ok(!gw.logs.text().includes(basicClient.clientSecret), 'the secret is never logged');
    const metrics = (await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text;
    assert.match(metrics, /portcullis_oauth_requests_total\{endpoint="oauth-token",outcome="invalid_client"\} [1-9]/);
  });

  test('issues a token with private_key_jwt using the client’s registered key, and refuses a replayed assertion', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'partner-key-1';
    const client = await createClient({ scopes: ['accounts:read'], secret: false, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } });
    const response = await oauth.clientCredentialsGrantRequest(as, { client_id: client.clientId }, oauth.PrivateKeyJwt({ key: privateKey as CryptoKey, kid }), { scope: 'accounts:read' }, insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, { client_id: client.clientId }, response);
    assert.equal((await callAccounts(tokens.access_token)).status, 200);

    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(as.token_endpoint!)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
    assert.equal((await tokenEndpoint(form)).status, 200, 'first use');
    const replay = await tokenEndpoint(form);
    assert.deepEqual([replay.status, replay.json().error], [401, 'invalid_client'], 'second use is a replay');

    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(client.clientId).setSubject(client.clientId).setAudience(as.token_endpoint!).setExpirationTime(now + 60).sign(other.privateKey);
    assert.equal((await tokenEndpoint({ ...form, client_assertion: forged })).json().error, 'invalid_client', 'signed with a key the client did not register');
    const longLived = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(client.clientId).setSubject(client.clientId).setAudience(as.token_endpoint!).setExpirationTime(now + 3600).sign(privateKey);
    assert.equal((await tokenEndpoint({ ...form, client_assertion: longLived })).json().error, 'invalid_client', 'an assertion living longer than assertionMaxAgeSeconds');
    const noSecret = await tokenEndpoint({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: '' });
    assert.equal(noSecret.json().error, 'invalid_client', 'a key-only client has no secret to guess');
  });

  test('refuses a private_key_jwt assertion whose header or claims repeat a member name with invalid_client', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'partner-key-strict';
    const client = await createClient({ scopes: ['accounts:read'], secret: false, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } });
    const now = Math.floor(clock.now() / 1000);
    const header = (extra = '') => `{"alg":"ES256","kid":"${kid}"${extra}}`;
    const claims = (extra = '') => `{"iss":"${client.clientId}","sub":"${client.clientId}","aud":"${as.token_endpoint}","exp":${now + 60},"jti":"${randomUUID()}"${extra}}`;
    const form = (assertion: string) => ({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    assert.equal((await tokenEndpoint(form(signRaw(header(), claims(), privateKey, 'ES256')))).status, 200, 'the same assertion without a repeated name');
    for (const assertion of [signRaw(header(), claims(`,"jti":"${randomUUID()}"`), privateKey, 'ES256'), signRaw(header(',"alg":"ES256"'), claims(), privateKey, 'ES256')]) {
      const reply = await tokenEndpoint(form(assertion));
      assert.deepEqual([reply.status, reply.json().error], [401, 'invalid_client']);
    }
  });

  test('refuses a consumer id holding , ; " or \\ in the admin API with 400 admin.invalid_request', async () => {
    for (const bad of [`${consumerId},x`, `${consumerId};x`, `${consumerId}"`, `${consumerId}\\`]) {
      assertProblem(await gw.admin.call('POST', '/v1/oauth/clients', { consumerId: bad, name: 'bad', scopes: [] }), 400, 'admin.invalid_request');
      assertProblem(await gw.admin.call('POST', '/v1/keys', { consumerId: bad, name: 'bad', scopes: [] }), 400, 'admin.invalid_request');
    }
  });

  test('refuses to register a client whose jwks repeats a member name with 400 admin.invalid_request', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'k1' });
    const body = (key: string) => `{"consumerId":"${consumerId}","name":"dup","scopes":[],"secret":false,"jwks":{"keys":[${key}]}}`;
    const post = (text: string) => httpRequest(`${gw.admin.url}/v1/oauth/clients`, { method: 'POST', headers: { authorization: `Bearer ${gw.admin.token}`, 'content-type': 'application/json' }, body: text });
    assert.equal((await post(body(jwk))).status, 201, 'the same body without a repeated name');
    assertProblem(await post(body(`${jwk.slice(0, -1)},"kid":"k2"}`)), 400, 'admin.invalid_request');
  });

  test('introspection calls a token of its own signing key inactive when its claims repeat a member name', async () => {
    const key = gw.gateway.services.oauth!.state.signingKey()!;
    const now = Math.floor(clock.now() / 1000);
    const header = `{"alg":"${key.algorithm}","kid":"${key.kid}","typ":"at+jwt"}`;
    const claims = (extra = '') => `{"iss":"${as.issuer}","sub":"${basicClient.clientId}","aud":"${AUDIENCE}","client_id":"${basicClient.clientId}","scope":"accounts:read","iat":${now},"exp":${now + 60},"jti":"${randomUUID()}"${extra}}`;
    const client = { client_id: basicClient.clientId };
    const auth = oauth.ClientSecretBasic(basicClient.clientSecret);
    const introspect = async (token: string) => (await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, token, insecure))).active;
    assert.equal(key.algorithm, 'ES256');
    assert.equal(await introspect(signRaw(header, claims(), key.privateKey, 'ES256')), true, 'the same token without a repeated name');
    assert.equal(await introspect(signRaw(header, claims(`,"client_id":"${basicClient.clientId}"`), key.privateKey, 'ES256')), false);
    assertProblem(await callAccounts(signRaw(header, claims(`,"scope":"accounts:read"`), key.privateKey, 'ES256')), 401, 'auth.token_invalid');
  });

  test('rotates the signing key: the new key is published 5 minutes before it signs, the previous key stays published and its tokens keep working', async () => {
    const before = await tokenWithSecret(basicClient, 'accounts:read');
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const rotated = await gw.admin.call('POST', '/v1/oauth/signing-keys/rotate', {});
    assert.equal(rotated.status, 201, rotated.text);
    const newKid = rotated.json<{ items: Array<{ kid: string; status: string }> }>().items.find((key) => key.status === 'active')?.kid;
    assert.ok(newKid && newKid !== oldKid, rotated.text);
    const jwks = (await httpRequest(`${gw.url}/oauth2/jwks`)).json<{ keys: Array<{ kid: string; d?: string }> }>();
    assert.deepEqual(new Set(jwks.keys.map((key) => key.kid)), new Set([newKid, oldKid]), 'the new key is published at once');
    assert.ok(jwks.keys.every((key) => key.d === undefined), 'no private parts published');
    const ahead = await tokenWithSecret(basicClient, 'accounts:read');
    assert.equal(decodeProtectedHeader(ahead.access_token).kid, oldKid, 'the previous key signs until JWKS caches hold the new one');
    clock.advance(4 * 60_000);
    assert.equal(decodeProtectedHeader((await tokenWithSecret(basicClient, 'accounts:read')).access_token).kid, oldKid);
    assert.equal((await callAccounts(before.access_token)).status, 200, 'a token signed with the previous key');
    assert.equal((await callAccounts(ahead.access_token)).status, 200, 'a token the previous key signed after the rotation');
    clock.advance(60_000);
    const after = await tokenWithSecret(basicClient, 'accounts:read');
    assert.equal(decodeProtectedHeader(after.access_token).kid, newKid, 'the new key signs once it has been published for 5 minutes');
    assert.equal((await callAccounts(after.access_token)).status, 200);
    const listed = (await gw.admin.call('GET', '/v1/oauth/signing-keys')).json<{ items: Array<{ kid: string; status: string; published: boolean }> }>().items;
    assert.equal(listed.find((key) => key.kid === oldKid)?.status, 'retired');
    assert.equal(listed.find((key) => key.kid === oldKid)?.published, true);
  });

  test('accepts a token signed with a key another node has just rotated in, before the next poll', async () => {
    const { SigningKeyRepository } = await import('../src/store/oauth-repositories.js');
    const { KeyEncryption } = await import('../src/oauth/key-encryption.js');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `sk_other_node_${Date.now()}`;
    const encryption = new KeyEncryption(OAUTH_ENV.PORTCULLIS_OAUTH_KEY_SECRET);
    // Written straight to the store, as another node's rotation would be (its own unit of work, which
    // nudges nothing on this node); this node has not polled yet.
    const { storeFor, TEST_ACTOR } = await import('./helpers/store.js');
    const shared = gw.gateway.services.store!;
    const otherNode = storeFor({ db: shared.db, dialect: shared.dialect, schema: shared.schema, close: async () => {} }, clock);
    const key = {
      id: kid,
      algorithm: 'ES256',
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
      privateJwkEncrypted: encryption.encrypt(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' }), kid),
    };
    await otherNode.write(TEST_ACTOR, 'signing_key.rotate', (tx) => new SigningKeyRepository(shared.db).rotateIfDue(tx, 0, 600000, true, async () => key));
    const now = Math.floor(clock.now() / 1000);
    const token = await new SignJWT({ client_id: basicClient.clientId, scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(as.issuer)
      .setSubject(basicClient.clientId)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(privateKey);
    const reply = await callAccounts(token);
    assert.equal(reply.status, 200, reply.text);
  });

  test('introspects its tokens (RFC 7662) and revokes them (RFC 7009): a revoked token gets 401 auth.token_revoked', async () => {
    const client = { client_id: basicClient.clientId };
    const auth = oauth.ClientSecretBasic(basicClient.clientSecret);
    const tokens = await tokenWithSecret(basicClient, 'accounts:read');
    const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(active.active, true);
    assert.equal(active.client_id, basicClient.clientId);
    assert.equal(active.scope, 'accounts:read');
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
    assertProblem(await callAccounts(tokens.access_token), 401, 'auth.token_revoked');
    const inactive = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    assert.equal(inactive.active, false);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, 'not-a-token', insecure));
  });

  test('refuses every token of a revoked client with 401 auth.token_revoked, and the client itself with invalid_client', async () => {
    const doomed = await createClient({ scopes: ['accounts:read'] });
    const tokens = await tokenWithSecret(doomed, 'accounts:read');
    assert.equal((await callAccounts(tokens.access_token)).status, 200);
    assert.equal((await gw.admin.call('POST', `/v1/oauth/clients/${doomed.clientId}/revoke`)).status, 200);
    await eventually(() => gw.gateway.services.oauth!.state.client(doomed.clientId)?.active === false, 'the revocation reaches the state');
    assertProblem(await callAccounts(tokens.access_token), 401, 'auth.token_revoked');
    await assert.rejects(tokenWithSecret(doomed, 'accounts:read'));
  });

  test('rotates a client secret with a grace period: the old secret works until it ends', async () => {
    const client = await createClient({ scopes: ['accounts:read'] });
    const rotated = await gw.admin.call('POST', `/v1/oauth/clients/${client.clientId}/rotate`, { gracePeriodSeconds: 60 });
    assert.equal(rotated.status, 200, rotated.text);
    const newSecret = rotated.json<{ clientSecret: string }>().clientSecret;
    await eventually(() => gw.gateway.services.oauth!.state.client(client.clientId)?.previousSecretHash !== null, 'the rotation reaches the state');
    await tokenWithSecret(client, 'accounts:read');
    await tokenWithSecret({ clientId: client.clientId, clientSecret: newSecret }, 'accounts:read');
    clock.advance(61000);
    await assert.rejects(tokenWithSecret(client, 'accounts:read'), 'the old secret after the grace period');
    await tokenWithSecret({ clientId: client.clientId, clientSecret: newSecret }, 'accounts:read');
    const shown = (await gw.admin.call('GET', `/v1/oauth/clients/${client.clientId}`)).text;
    assert.ok(!shown.includes(newSecret) && !shown.includes('secret_hash'), 'the secret is shown once, never again');
  });

  test('refuses the tokens of a disabled consumer with 401 auth.consumer_disabled, and its clients with invalid_client', async () => {
    const otherConsumer = await gw.admin.consumer('soon-disabled');
    const reply = await gw.admin.call('POST', '/v1/oauth/clients', { consumerId: otherConsumer, name: 'x', scopes: ['accounts:read'] });
    const client = { clientId: reply.json<{ client: { clientId: string } }>().client.clientId, clientSecret: reply.json<{ clientSecret: string }>().clientSecret };
    const tokens = await tokenWithSecret(client, 'accounts:read');
    assert.equal((await callAccounts(tokens.access_token)).status, 200);
    assert.equal((await gw.admin.call('POST', `/v1/consumers/${otherConsumer}/disable`)).status, 200);
    await eventually(() => !gw.gateway.services.oauth!.state.consumerActive(otherConsumer), 'the disabled consumer reaches the state');
    assertProblem(await callAccounts(tokens.access_token), 401, 'auth.consumer_disabled');
    await assert.rejects(tokenWithSecret(client, 'accounts:read'));
  });

  test('refuses a config whose built-in issuer route would refuse every token of the server', async () => {
    const { validateConfig } = await import('../src/config/loader.js');
    const raw = baseConfig(['http://127.0.0.1:1'], {
      store: { path: '/tmp/unused.db' },
      apiKeys: { pepper: '${env:P}' },
      oauth: { issuer: 'https://gw.example', audience: 'https://api.example', signingKeySecret: '${env:S}' },
      routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend', policies: { 'auth-jwt': { issuers: [{ issuer: 'https://gw.example', builtin: true }], audiences: ['https://other.example'] } } }],
    });
    const checked = validateConfig(raw, { S: 'x'.repeat(40), P: 'y'.repeat(40) });
    assert.ok(!checked.ok);
    assert.deepEqual(checked.issues.map((issue) => issue.path), ['routes[0].policies.auth-jwt.audiences']);
    (raw as { oauth: Record<string, unknown> }).oauth.signingAlgorithm = 'EdDSA';
    const algorithm = validateConfig(raw, { S: 'x'.repeat(40), P: 'y'.repeat(40) });
    assert.ok(!algorithm.ok && algorithm.issues.some((issue) => issue.path === 'routes[0].policies.auth-jwt.issuers[0].algorithms'));
  });

  test('never stores a private signing key in the clear', async () => {
    const rows = await gw.gateway.services.store!.db.selectFrom('oauth_signing_keys').select(['private_jwk_encrypted']).execute();
    assert.ok(rows.length >= 1);
    for (const row of rows) assert.match(row.private_jwk_encrypted, /^v1\./);
    for (const row of rows) assert.ok(!row.private_jwk_encrypted.includes('"d"'));
  });

  test("another client can neither introspect nor revoke a token it was not issued, and is not told whose it is", async () => {
    const other = await createClient({ scopes: ['accounts:read'] });
    const otherAuth = oauth.ClientSecretBasic(other.clientSecret);
    const tokens = await tokenWithSecret(basicClient, 'accounts:read');
    const seen = await oauth.processIntrospectionResponse(as, { client_id: other.clientId }, await oauth.introspectionRequest(as, { client_id: other.clientId }, otherAuth, tokens.access_token, insecure));
    assert.equal(seen.active, false);
    // RFC 7009 §2.2: the same 200 as for an unknown token, and nothing revoked.
    const revoke = await oauth.revocationRequest(as, { client_id: other.clientId }, otherAuth, tokens.access_token, insecure);
    assert.equal(revoke.status, 200);
    assert.equal((await callAccounts(tokens.access_token)).status, 200);
  });

  test('refuses a replayed private_key_jwt assertion also after its exp, within the clock tolerance', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = 'partner-key-replay';
    const client = await createClient({ scopes: ['accounts:read'], secret: false, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } });
    const now = Math.floor(clock.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(client.clientId).setSubject(client.clientId).setAudience(as.token_endpoint!).setIssuedAt(now).setExpirationTime(now + 10).sign(privateKey);
    const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
    assert.equal((await tokenEndpoint(form)).status, 200, 'first use');
    clock.advance(15_000); // past exp, inside the 30 s tolerance
    const replay = await tokenEndpoint(form);
    assert.deepEqual([replay.status, replay.json().error], [401, 'invalid_client'], 'a replay just after exp');
  });

  test('keeps refusing a revoked token after its exp for as long as clock skew could still accept it', async () => {
    const client = { client_id: basicClient.clientId };
    const auth = oauth.ClientSecretBasic(basicClient.clientSecret);
    const tokens = await tokenWithSecret(basicClient, 'accounts:read');
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
    assertProblem(await callAccounts(tokens.access_token), 401, 'auth.token_revoked');
    // 300 s tokens, 60 s skew: 30 s past exp the token would pass the time checks again.
    clock.advance(330_000);
    await gw.gateway.services.oauth!.state.refresh();
    assertProblem(await callAccounts(tokens.access_token), 401, 'auth.token_revoked');
  });
});
