import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeIp, resolveClientIp, TrustedProxies } from './client-ip.js';

const trusted = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);

test('uses the socket peer when it is not a trusted proxy', () => {
  assert.deepEqual(resolveClientIp('203.0.113.5', '1.2.3.4', trusted), { ok: true, clientIp: '203.0.113.5', peerTrusted: false });
});

test('walks a chain of trusted proxies, IPv4 and IPv6, to the first untrusted address', () => {
  assert.deepEqual(resolveClientIp('10.0.0.1', '198.51.100.2, 2001:db8::9, 10.9.9.9', trusted), { ok: true, clientIp: '198.51.100.2', peerTrusted: true });
  assert.deepEqual(resolveClientIp('2001:db8::1', '[2001:db8:ffff::1]:443, 203.0.113.1:5555', trusted), { ok: true, clientIp: '203.0.113.1', peerTrusted: true });
});

test('stops at the leftmost address when every hop is trusted', () => {
  assert.deepEqual(resolveClientIp('10.0.0.1', '10.0.0.2', trusted), { ok: true, clientIp: '10.0.0.2', peerTrusted: true });
});

test('refuses garbage written into the trusted part of the chain', () => {
  assert.deepEqual(resolveClientIp('10.0.0.1', 'garbage', trusted), { ok: false });
});

test('trusts nobody when the list is empty', () => {
  const none = new TrustedProxies([]);
  assert.equal(none.has('127.0.0.1'), false);
  assert.deepEqual(resolveClientIp('127.0.0.1', '1.2.3.4', none), { ok: true, clientIp: '127.0.0.1', peerTrusted: false });
});

test('reads IPv4-mapped IPv6 peers as IPv4', () => {
  assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(trusted.has(normalizeIp('::ffff:10.1.2.3')), true);
});
