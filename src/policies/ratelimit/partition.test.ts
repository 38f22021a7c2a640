import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import type { Principal, RequestContext } from '../../core/context.js';
import { partitionKey } from './partition.js';

function context(principal: Principal | undefined, headers: Record<string, string> = {}, clientIp = '203.0.113.7'): RequestContext {
  return { principal, clientIp, route: { name: 'payments', methods: ['GET'], upstream: 'api' }, req: { headers } as unknown as IncomingMessage } as unknown as RequestContext;
}

const jwt: Principal = { type: 'jwt', consumerId: 'con_1', consumerName: 'acme', scopes: [], credentialId: 'jti-9', clientId: 'client-7', subject: 'svc' };

test('keys a budget by consumer, credential, OAuth client, IP, route and header, combined in order', () => {
  const ctx = context(jwt, { 'x-tenant': 't1' });
  assert.equal(partitionKey(['consumer'], undefined, ctx), 'consumer=con_1');
  assert.equal(partitionKey(['api_key'], undefined, ctx), 'api_key=jti-9');
  assert.equal(partitionKey(['client'], undefined, ctx), 'client=client-7');
  assert.equal(partitionKey(['ip'], undefined, ctx), 'ip=203.0.113.7');
  assert.equal(partitionKey(['consumer', 'route'], undefined, ctx), 'consumer=con_1|route=payments');
  assert.equal(partitionKey(['header'], 'x-tenant', ctx), `header=${createHash('sha256').update('t1').digest('base64url')}`);
});

test('counts a request without the identity asked for by its client IP, IPv6 per /64', () => {
  assert.equal(partitionKey(['consumer'], undefined, context(undefined)), 'consumer~ip=203.0.113.7');
  assert.equal(partitionKey(['client'], undefined, context({ ...jwt, clientId: undefined })), 'client~ip=203.0.113.7');
  const v6 = (ip: string) => partitionKey(['ip'], undefined, context(undefined, {}, ip));
  assert.equal(v6('2001:db8:1:2:aaaa::1'), v6('2001:db8:1:2:ffff::9'));
  assert.notEqual(v6('2001:db8:1:2::1'), v6('2001:db8:1:3::1'));
});

test('a header value cannot forge another partition, and is never kept in clear', () => {
  const forged = partitionKey(['header', 'route'], 'x-tenant', context(jwt, { 'x-tenant': 'a|route=other' }));
  assert.match(forged, /^header=[A-Za-z0-9_-]{43}\|route=payments$/);
  assert.doesNotMatch(partitionKey(['header'], 'authorization', context(jwt, { authorization: 'Bearer secret-token' })), /secret/);
  assert.notEqual(partitionKey(['header'], 'x-tenant', context(jwt, { 'x-tenant': 'b' })), partitionKey(['header'], 'x-tenant', context(jwt, { 'x-tenant': 'B' })));
});
