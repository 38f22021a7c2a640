/**
 * Every state change is attributable end to end: an admin API write carries the bootstrap token's
 * actor into its change row, and a partner's token revocation (RFC 7009) carries the data plane's
 * actor with the partner's client id. Each is logged once, as `store.changed`, without secrets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { eventually, freePort, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, startKeyGateway } from './helpers/keys.js';

const AUDIENCE = 'https://api.bank.example';
const OAUTH_ENV = { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' };

describe('who changed what: actors in change rows', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startKeyGateway>>;
  let issuer: string;

  before(async () => {
    upstream = await startUpstream();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    gw = await startKeyGateway(upstream.url, { listeners: [{ name: 'public', host: '127.0.0.1', port }], oauth: { issuer, audience: AUDIENCE, signingKeySecret: '${env:PORTCULLIS_OAUTH_KEY_SECRET}' } }, { env: OAUTH_ENV });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const changesOf = (entityId: string) =>
    gw.gateway.services.store!.db.selectFrom('changes').select(['entity', 'actor_kind', 'actor_id', 'action']).where('entity_id', '=', entityId).orderBy('revision').execute();

  test('an admin API write is recorded as the bootstrap token, with its action, and logged once', async () => {
    const consumerId = await gw.admin.consumer('attributed-co');
    assert.deepEqual(await changesOf(consumerId), [{ entity: 'consumer', actor_kind: 'bootstrap-token', actor_id: 'bootstrap', action: 'consumer.create' }]);
    const key = await gw.admin.key(consumerId, ['accounts:read']);
    assert.equal((await gw.admin.call('POST', `/v1/keys/${key.id}/revoke`)).status, 200);
    assert.deepEqual(
      (await changesOf(key.id)).map((row) => row.action),
      ['api_key.create', 'api_key.revoke'],
    );
    const shown = (await gw.admin.call('GET', `/v1/keys/${key.id}`)).json<{ createdBy: string }>();
    assert.equal(shown.createdBy, 'bootstrap-token:bootstrap');
    const line = await gw.logs.waitFor((record) => record.event === 'store.changed' && record.action === 'api_key.revoke');
    assert.equal(line.actor, 'bootstrap-token:bootstrap');
    assert.deepEqual(line.changes, [`api_key:${key.id}`]);
    assert.ok(!gw.logs.text().includes(key.key) && !gw.logs.text().includes(ADMIN_TOKEN), 'neither the key nor the admin token is logged');
  });

  test("a partner's token revocation is recorded as the data plane acting for its client id", async () => {
    const consumerId = await gw.admin.consumer('revoking-partner');
    const created = await gw.admin.call('POST', '/v1/oauth/clients', { consumerId, name: 'sync', scopes: ['accounts:read'] });
    assert.equal(created.status, 201, created.text);
    const { clientSecret, client } = created.json<{ clientSecret: string; client: { clientId: string } }>();
    await eventually(() => gw.gateway.services.oauth!.state.client(client.clientId) !== undefined, 'the client reaches the in-memory state');
    const basic = { authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const issued = await httpRequest(`${gw.url}/oauth2/token`, { method: 'POST', headers: basic, body: 'grant_type=client_credentials' });
    assert.equal(issued.status, 200, issued.text);
    const token = issued.json<{ access_token: string }>().access_token;
    const revoked = await httpRequest(`${gw.url}/oauth2/revoke`, { method: 'POST', headers: basic, body: new URLSearchParams({ token }).toString() });
    assert.equal(revoked.status, 200, revoked.text);
    const jti = String(decodeJwt(token).jti);
    assert.deepEqual(await changesOf(jti), [{ entity: 'revoked_token', actor_kind: 'data-plane', actor_id: client.clientId, action: 'oauth_token.revoke' }]);
    const line = await gw.logs.waitFor((record) => record.event === 'store.changed' && record.action === 'oauth_token.revoke');
    assert.equal(line.actor, `data-plane:${client.clientId}`);
    assert.ok(!gw.logs.text().includes(token.split('.')[2]!), 'the token is never logged');
  });
});
