/**
 * The admin API speaks one time format (issue 12 §5): every timestamp of every entity (consumers,
 * keys, OAuth clients, signing keys, rate-limit overrides) is an ISO 8601 UTC string, never epoch
 * milliseconds. The walk below fails on any numeric or non-ISO value of a field named *At/*Until.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startUpstream, type TestUpstream } from './helpers/index.js';
import { startOAuthKeyGateway } from './helpers/keys.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every field whose name says it is a time, with where it is. */
function timeFields(value: unknown, at: string, out: Array<{ at: string; value: unknown }>): Array<{ at: string; value: unknown }> {
  if (Array.isArray(value)) value.forEach((item, index) => timeFields(item, `${at}[${index}]`, out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (/(At|Until)$/.test(key)) out.push({ at: `${at}.${key}`, value: child });
      else timeFields(child, `${at}.${key}`, out);
    }
  }
  return out;
}

describe('admin API timestamps', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startOAuthKeyGateway>>;
  before(async () => {
    upstream = await startUpstream();
    gw = await startOAuthKeyGateway(upstream.url, {
      routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'per-consumer', limit: 10, windowSeconds: 60 }] } } }],
    });
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('every entity answers with ISO 8601 timestamps, on every read and write', async () => {
    const replies: Array<[string, unknown]> = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const reply = await gw.admin.call(method, path, body);
      assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${reply.text}`);
      replies.push([`${method} ${path}`, reply.json()]);
      return reply.json<Record<string, any>>();
    };
    const consumer = await call('POST', '/v1/consumers', { name: 'timely' });
    await call('GET', '/v1/consumers');
    await call('GET', `/v1/consumers/${consumer.id}`);
    await call('POST', `/v1/consumers/${consumer.id}/disable`);
    await call('POST', `/v1/consumers/${consumer.id}/enable`);
    const key = await call('POST', '/v1/keys', { consumerId: consumer.id, name: 'k', scopes: [] });
    await call('GET', '/v1/keys');
    await call('GET', `/v1/keys/${key.apiKey.id}`);
    const rotated = await call('POST', `/v1/keys/${key.apiKey.id}/rotate`, { gracePeriodSeconds: 60 });
    await call('POST', `/v1/keys/${rotated.apiKey.id}/revoke`);
    const client = await call('POST', '/v1/oauth/clients', { consumerId: consumer.id, name: 'c', scopes: [] });
    await call('GET', '/v1/oauth/clients');
    await call('POST', `/v1/oauth/clients/${client.client.clientId}/rotate`, { gracePeriodSeconds: 60 });
    await call('GET', `/v1/oauth/clients/${client.client.clientId}`);
    await call('POST', `/v1/oauth/clients/${client.client.clientId}/revoke`);
    await call('GET', '/v1/oauth/signing-keys');
    await call('POST', '/v1/oauth/signing-keys/rotate', {});
    const override = await call('POST', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: consumer.id, limitName: 'per-consumer', limit: 5 });
    await call('GET', '/v1/rate-limit-overrides');
    await call('GET', `/v1/rate-limit-overrides/${override.id}`);

    const fields = replies.flatMap(([request, body]) => timeFields(body, request, []));
    for (const required of ['POST /v1/consumers.createdAt', 'POST /v1/consumers.updatedAt', 'GET /v1/rate-limit-overrides.items[0].createdAt', 'GET /v1/oauth/signing-keys.items[0].createdAt']) {
      assert.ok(fields.some((field) => field.at === required), `${required} is checked`);
    }
    const wrong = fields.filter(({ value }) => value !== null && !(typeof value === 'string' && ISO.test(value)));
    assert.deepEqual(wrong, [], 'every timestamp is ISO 8601 UTC or null');
  });
});
