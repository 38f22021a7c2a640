/**
 * Two gateway processes sharing one PostgreSQL: a key revoked through one node's admin API, or an
 * OAuth token revoked at one node's revocation endpoint, stops working on the other within a
 * second. Runs in CI against the real PostgreSQL service.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGatewayNodes, type GatewayNodes } from './helpers/cli.js';
import { httpRequest, startUpstream } from './helpers/index.js';
import { AdminClient, ADMIN_TOKEN, KEY_ENV } from './helpers/keys.js';
import { createPostgresSchema, POSTGRES_URL, skipWithoutPostgres } from './helpers/services.js';

const OAUTH_SECRET_ENV = { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' };

/** Two nodes on one PostgreSQL schema; `extra(ports)` adds to each node's config. */
async function withTwoNodes(extra: (ports: number[]) => Record<string, unknown>, run: (ports: number[]) => Promise<void>): Promise<void> {
  const { schema, drop } = await createPostgresSchema();
  let gateways: GatewayNodes | undefined;
  try {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const portList: number[] = [];
    gateways = await startGatewayNodes(
      2,
      ({ port, adminPort }) => {
        portList.push(port, adminPort);
        return {
          listeners: [{ name: 'public', host: '127.0.0.1', port }],
          admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
          store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', pollIntervalMs: 250 },
          apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
          // The tests poll with credentials the other node may not know yet: that is not an attack.
          bruteForce: { maxFailures: 1000 },
          ...extra(portList),
        };
      },
      { ...KEY_ENV, ...OAUTH_SECRET_ENV, PORTCULLIS_DATABASE_URL: url.toString() },
    );
    const ports = gateways.ports.flatMap((node) => [node.port, node.adminPort]);
    await run(ports);
  } finally {
    gateways?.stop();
    await drop();
  }
}

/** Polls until `refused()` holds; the milliseconds it took, or -1 after 3 s. */
async function msUntil(refused: () => Promise<boolean>): Promise<number> {
  const since = Date.now();
  while (Date.now() - since < 3000) {
    if (await refused()) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return -1;
}

test('a revocation on one node stops the key on another node within a second', { skip: skipWithoutPostgres }, async () => {
  const upstream = await startUpstream();
  try {
    await withTwoNodes(
      () => ({ upstreams: { backend: { targets: [upstream.url] } }, routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-apikey': {} } }] }),
      async (ports) => {
        const adminA = new AdminClient(`http://127.0.0.1:${ports[1]}`, ADMIN_TOKEN);
        const consumer = await adminA.consumer('shared-partner');
        const { key, id } = await adminA.key(consumer, []);
        const nodeB = `http://127.0.0.1:${ports[2]}/accounts`;
        const auth = { headers: { authorization: `Bearer ${key}` } };
        assert.ok((await msUntil(async () => (await httpRequest(nodeB, auth)).status === 200)) >= 0, 'node B learned of the key created on node A');
        assert.equal((await adminA.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
        const stoppedAfter = await msUntil(async () => (await httpRequest(nodeB, auth)).status === 401);
        assert.ok(stoppedAfter >= 0, 'node B refuses the revoked key');
        assert.ok(stoppedAfter < 1000, `node B refused it after ${stoppedAfter} ms`);
      },
    );
  } finally {
    await upstream.close();
  }
});

test('an OAuth token revoked at one node is refused by another node within a second (auth.token_revoked)', { skip: skipWithoutPostgres }, async () => {
  const upstream = await startUpstream();
  try {
    let issuer = '';
    await withTwoNodes(
      (ports) => {
        issuer = `http://127.0.0.1:${ports[0]}`;
        return {
          oauth: { issuer, audience: 'https://api.example', signingKeySecret: '${env:PORTCULLIS_OAUTH_KEY_SECRET}' },
          upstreams: { backend: { targets: [upstream.url] } },
          routes: [{ name: 'accounts', methods: ['GET'], path: '/accounts', upstream: 'backend', policies: { 'auth-jwt': { issuers: [{ issuer, builtin: true }], audiences: ['https://api.example'] } } }],
        };
      },
      async (ports) => {
        const adminA = new AdminClient(`http://127.0.0.1:${ports[1]}`, ADMIN_TOKEN);
        const consumer = await adminA.consumer('shared-partner');
        const created = await adminA.call('POST', '/v1/oauth/clients', { consumerId: consumer, name: 'sync', scopes: ['accounts:read'] });
        const { clientSecret, client } = created.json<{ clientSecret: string; client: { clientId: string } }>();
        const basic = { authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
        let token = '';
        await msUntil(async () => {
          const reply = await httpRequest(`${issuer}/oauth2/token`, { method: 'POST', headers: basic, body: 'grant_type=client_credentials' });
          token = reply.status === 200 ? reply.json<{ access_token: string }>().access_token : '';
          return token !== '';
        });
        assert.ok(token, 'node A issues a token');
        const nodeB = `http://127.0.0.1:${ports[2]}/accounts`;
        const auth = { headers: { authorization: `Bearer ${token}` } };
        assert.ok((await msUntil(async () => (await httpRequest(nodeB, auth)).status === 200)) >= 0, 'node B accepts the token node A signed');
        const revoked = await httpRequest(`${issuer}/oauth2/revoke`, { method: 'POST', headers: basic, body: new URLSearchParams({ token }).toString() });
        assert.equal(revoked.status, 200);
        const stoppedAfter = await msUntil(async () => {
          const reply = await httpRequest(nodeB, auth);
          return reply.status === 401 && reply.json().code === 'auth.token_revoked';
        });
        assert.ok(stoppedAfter >= 0, 'node B refuses the revoked token');
        assert.ok(stoppedAfter < 1000, `node B refused it after ${stoppedAfter} ms`);
      },
    );
  } finally {
    await upstream.close();
  }
});
