/**
 * upstreams.<name>.assess.minimumGrade refuses before the credential (issue 23 §5,
 * docs/assess.md#minimum-grade): a route with upstream-auth to an upstream graded below its floor
 * answers 503 upstream.assessment_below_minimum without the gateway asking the OAuth provider
 * (oidc-provider, its token requests counted) for a token, and without the upstream receiving
 * anything; the same credential on a route to an upstream without a floor is fetched and sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { badApi, badAuthorizationServer, startHttpsServer } from './helpers/assess-http-servers.js';
import { makeTestPki } from './helpers/certs.js';
import { httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { AdminClient, ADMIN_TOKEN } from './helpers/keys.js';
import { CLIENT_SECRET, startProvider } from './helpers/oidc-provider.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const ENV = { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN, PROVIDER_SECRET: CLIENT_SECRET, TOKEN_KEY: 't'.repeat(40) };

test('an upstream below its minimum grade is refused before upstream-auth: no token is fetched and the upstream receives nothing', async () => {
  const provider = await startProvider();
  cleanups.push(() => provider.close());
  const pki = await makeTestPki();
  let weakReceived = 0;
  const weakApi = badApi({ unauthenticated: 'data', securityTxt: 'missing' });
  const weakIssuer = badAuthorizationServer();
  const weak = await startHttpsServer(pki, (req, res, origin) => {
    if (req.url?.startsWith('/partner/')) weakReceived++;
    return req.url === '/.well-known/openid-configuration' || req.url === '/jwks' ? weakIssuer(req, res, origin) : weakApi(req, res, origin);
  });
  cleanups.push(weak.close);
  const tokensSeen: string[] = [];
  const open = await startUpstream((req, res) => {
    tokensSeen.push(String(req.headers.authorization ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  cleanups.push(() => open.close());
  const gw = await startGateway(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
      admin: { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      apiKeys: { pepper: '${env:TOKEN_KEY}' },
      store: { path: join(mkdtempSync(join(tmpdir(), 'portcullis-assess-min-')), 'store.db') },
      credentials: { tokenEncryptionKey: '${env:TOKEN_KEY}' },
      upstreams: {
        partner: { targets: [weak.origin], tls: { caFiles: [pki.caBundle] }, assess: { intervalHours: 24, oauthIssuer: weak.origin, minimumGrade: 'E', timeoutMs: 5000 } },
        open: { targets: [open.url] },
      },
      routes: [
        { name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner', policies: { 'upstream-auth': { credential: 'shared' } } },
        { name: 'open', methods: ['GET'], path: '/open/*', upstream: 'open', policies: { 'upstream-auth': { credential: 'shared' } } },
      ],
    },
    { env: ENV, clock: new ManualClock(Date.now()) },
  );
  cleanups.push(gw.close);
  const admin = new AdminClient(gw.gateway.adminUrl);
  const created = await admin.call('POST', '/v1/credentials', { name: 'shared', kind: 'client_credentials', owner: 'team-payroll', settings: { tokenUrl: provider.tokenUrl, issuer: provider.issuer, clientId: 'cc-basic', clientAuth: 'client_secret_basic', clientSecret: '${env:PROVIDER_SECRET}' } });
  assert.equal(created.status, 201, created.text);

  // Not graded yet (fails closed), then graded F: both refused before the credential.
  const unassessed = await httpRequest(`${gw.url}/partner/accounts`);
  assert.equal(unassessed.status, 503, unassessed.text);
  assert.equal(unassessed.json().code, 'upstream.assessment_below_minimum');
  await gw.gateway.assessments.tick();
  assert.equal(gw.gateway.assessments.gradeOf('partner'), 'F');
  const refused = await httpRequest(`${gw.url}/partner/accounts`);
  assert.equal(refused.status, 503, refused.text);
  assert.equal(refused.json().code, 'upstream.assessment_below_minimum');
  assert.match(String(refused.json().detail), /graded F, below its minimum E/);
  assert.equal(provider.tokenRequests.length, 0, 'no token was fetched for the refused upstream');
  assert.equal(weakReceived, 0, 'the refused upstream received nothing');

  // The same credential on a route without a floor: fetched once, and sent.
  const served = await httpRequest(`${gw.url}/open/x`);
  assert.equal(served.status, 200, served.text);
  assert.equal(provider.tokenRequests.length, 1, 'the credential works: fetched for the upstream without a floor');
  assert.match(tokensSeen[0]!, /^Bearer /);
});
