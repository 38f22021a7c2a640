/** `admin.metricsToken`: /metrics answers only with the token; without the option it stays open. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SecretValue } from '../src/config/secret.js';
import { createAdminServer } from '../src/server/admin.js';
import { assertProblem, httpRequest } from './helpers/index.js';

const TOKEN = 'scrape-token-0123456789abcdef';

async function serve(metricsToken: SecretValue | undefined) {
  const server = createAdminServer({ ready: () => true, degraded: () => [], typeBaseUrl: () => 'https://portcullis.dev/errors/', configRevision: () => 1, metricsToken: () => metricsToken, metrics: async () => ({ contentType: 'text/plain', body: 'portcullis_up 1\n' }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('with admin.metricsToken, /metrics refuses a missing or wrong token and answers the right one', async () => {
  const admin = await serve(new SecretValue(TOKEN, '${env:METRICS_TOKEN}'));
  try {
    assertProblem(await httpRequest(`${admin.url}/metrics`), 401, 'admin.unauthorized');
    assertProblem(await httpRequest(`${admin.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } }), 401, 'admin.unauthorized');
    const ok = await httpRequest(`${admin.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'portcullis_up 1\n');
    assert.equal((await httpRequest(`${admin.url}/healthz`)).status, 200, 'probes need no token');
  } finally {
    await admin.close();
  }
});

test('without admin.metricsToken, /metrics needs no token', async () => {
  const admin = await serve(undefined);
  try {
    assert.equal((await httpRequest(`${admin.url}/metrics`)).status, 200);
  } finally {
    await admin.close();
  }
});
