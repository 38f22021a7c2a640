/**
 * POST /v1/credentials refuses a `${secret:NAME}` that the vault cannot give (issue 24 §5), on
 * both stores: a name the vault does not have (names are case-sensitive), or any vault reference
 * on a gateway without a vault answer
 * 422 admin.secret_unresolved naming each field and reason, and nothing is created; a secret that
 * exists and `${env:…}` references are accepted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertProblem, startUpstream, type TestUpstream } from './helpers/index.js';
import { startKeyGateway, type AdminClient } from './helpers/keys.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';
import type { TestGateway } from './helpers/index.js';

const bearer = (secret: string) => ({ name: 'payroll', kind: 'static', owner: 'team-payroll', settings: { scheme: 'bearer', secret } });

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  describe(`upstream credentials name vault secrets that exist: ${backend}`, { skip: backend === 'PostgreSQL' && skipWithoutPostgres }, () => {
    let upstream: TestUpstream;
    let gw: TestGateway & { admin: AdminClient };
    let drop: (() => Promise<void>) | undefined;
    const secretValue = `value-${randomBytes(8).toString('hex')}`;

    before(async () => {
      upstream = await startUpstream();
      const env: Record<string, string> = { PORTCULLIS_VAULT_KEK: randomBytes(32).toString('base64') };
      let store: Record<string, unknown> | undefined;
      if (backend === 'PostgreSQL') {
        const pg = await postgresGatewayStore();
        ({ drop, store } = pg);
        env.DATABASE_URL = pg.url;
      }
      gw = await startKeyGateway(upstream.url, { vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } } }, { env, ...(store ? { store } : {}) });
      assert.equal((await gw.admin.call('POST', '/v1/secrets/payroll-token/versions', { value: secretValue })).status, 201);
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
      await drop?.();
    });

    test('a secret the vault does not have is refused with 422 admin.secret_unresolved, and nothing is created', async () => {
      const problem = assertProblem(await gw.admin.call('POST', '/v1/credentials', bearer('${secret:payroll-tokn}')), 422, 'admin.secret_unresolved');
      assert.deepEqual(problem.unresolved, [{ field: 'secret', reference: '${secret:payroll-tokn}', reason: 'the vault has no secret of that name' }]);
      assert.match(String(problem.detail), /secret \$\{secret:payroll-tokn\}: the vault has no secret of that name/);
      assertProblem(await gw.admin.call('GET', '/v1/credentials/payroll'), 404, 'admin.not_found');
    });

    test('names are case-sensitive: Payroll-Token is not payroll-token', async () => {
      const problem = assertProblem(await gw.admin.call('POST', '/v1/credentials', bearer('${secret:Payroll-Token}')), 422, 'admin.secret_unresolved');
      assert.deepEqual(problem.unresolved, [{ field: 'secret', reference: '${secret:Payroll-Token}', reason: 'the vault has no secret of that name' }]);
    });

    test('every unresolved field of an OAuth credential is named, in field order', async () => {
      const settings = { tokenUrl: 'https://idp.example/token', clientId: 'gw', clientAuth: 'tls_client_auth', tlsCert: '${secret:no-cert}', tlsKey: '${secret:no-key}' };
      const problem = assertProblem(await gw.admin.call('POST', '/v1/credentials', { name: 'mtls', kind: 'client_credentials', owner: 'team', settings }), 422, 'admin.secret_unresolved');
      assert.deepEqual(problem.unresolved, [
        { field: 'tlsCert', reference: '${secret:no-cert}', reason: 'the vault has no secret of that name' },
        { field: 'tlsKey', reference: '${secret:no-key}', reason: 'the vault has no secret of that name' },
      ]);
      assert.ok(!JSON.stringify(problem).includes(secretValue));
    });

    test('an existing promoted secret and an ${env:…} reference are accepted', async () => {
      assert.equal((await gw.admin.call('POST', '/v1/credentials', bearer('${secret:payroll-token}'))).status, 201);
      const env = await gw.admin.call('POST', '/v1/credentials', { ...bearer('${env:NOT_SET_ANYWHERE}'), name: 'from-env' });
      assert.equal(env.status, 201, env.text);
    });
  });
}

describe('upstream credentials on a gateway without a vault', () => {
  let upstream: TestUpstream;
  let gw: TestGateway & { admin: AdminClient };
  before(async () => {
    upstream = await startUpstream();
    gw = await startKeyGateway(upstream.url);
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('a ${secret:…} reference is refused: no vault can give it', async () => {
    const problem = assertProblem(await gw.admin.call('POST', '/v1/credentials', bearer('${secret:payroll-token}')), 422, 'admin.secret_unresolved');
    assert.deepEqual(problem.unresolved, [{ field: 'secret', reference: '${secret:payroll-token}', reason: 'no vault is configured' }]);
  });
});
