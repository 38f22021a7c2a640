import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import type { RequestContext } from '../core/context.js';
import { buildUpstreamHeaders, forwardingOptions } from './forwarding.js';

const options = forwardingOptions('x-request-id', false, undefined, []);

/** The parts of a request context the forwarding headers are built from. */
function context(peerIp: string, authority: string, protocol: 'http' | 'https'): RequestContext {
  const req = { headers: { host: authority } } as unknown as IncomingMessage;
  return {
    req,
    peerIp,
    peerTrusted: false,
    authority,
    protocol,
    requestId: 'r1',
    trace: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: undefined, flags: '01', traceState: undefined },
    removedHeaders: [],
    upstreamHeaders: {},
  } as unknown as RequestContext;
}

test('the Forwarded element brackets and quotes an IPv6 peer and names the listener protocol (RFC 7239 §6)', () => {
  const headers = buildUpstreamHeaders(context('2001:db8::1', 'api.example.com', 'https'), options, 'backend:8080');
  assert.equal(headers.forwarded, 'for="[2001:db8::1]";host="api.example.com";proto=https');
  assert.equal(headers['x-forwarded-proto'], 'https');
});

test('the same host over HTTP and HTTPS is reported with its own protocol each time', () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(buildUpstreamHeaders(context('192.0.2.7', 'shop.example', 'http'), options, 'b').forwarded, 'for=192.0.2.7;host="shop.example";proto=http');
    assert.equal(buildUpstreamHeaders(context('192.0.2.7', 'shop.example', 'https'), options, 'b').forwarded, 'for=192.0.2.7;host="shop.example";proto=https');
  }
});

test('a request without a host reports none in Forwarded', () => {
  assert.equal(buildUpstreamHeaders(context('192.0.2.7', '', 'http'), options, 'b').forwarded, 'for=192.0.2.7;proto=http');
});
