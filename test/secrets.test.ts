import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';

test('injects the upstream credential, replaces the client header, and never logs either', async () => {
  const upstream = await startUpstream();
  const config = baseConfig([upstream.url], { logging: { includeHeaders: true } });
  (config.upstreams as any).backend.auth = { type: 'bearer', token: '${env:UPSTREAM_TOKEN}' };
  const gw = await startGateway(config, { env: { UPSTREAM_TOKEN: 'upstream-secret-9f8e7d' } });
  try {
    const reply = await httpRequest(`${gw.url}/accounts?api_key=client-key-1a2b`, {
      headers: { authorization: 'Bearer client-token-3c4d', cookie: 'session=client-cookie-5e6f', 'x-api-key': 'client-key-7g8h' },
    });
    assert.equal(reply.status, 200);
    assert.equal(upstream.requests.at(-1)!.headers.authorization, 'Bearer upstream-secret-9f8e7d');
    await gw.logs.accessLine(reply.headers['x-request-id']);
    await gw.close();
    const logged = gw.logs.text();
    for (const secret of ['upstream-secret-9f8e7d', 'client-token-3c4d', 'client-cookie-5e6f', 'client-key-7g8h', 'client-key-1a2b']) {
      assert.doesNotMatch(logged, new RegExp(secret), `${secret} leaked into the log`);
    }
    assert.match(logged, /\[REDACTED\]/);
  } finally {
    await gw.close();
    await upstream.close();
  }
});
