import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalRouteHost, parseAuthority } from './authority.js';

test('reads host names, IPv4 and bracketed IPv6 with an optional port, in canonical form', () => {
  const cases: Array<[string, string, string]> = [
    ['Example.COM', 'example.com', 'example.com'],
    ['admin.example.com.', 'admin.example.com', 'admin.example.com'],
    ['admin.example.com.:8443', 'admin.example.com', 'admin.example.com:8443'],
    ['10.0.0.1:80', '10.0.0.1', '10.0.0.1:80'],
    ['[2001:DB8::1]:443', '[2001:db8::1]', '[2001:db8::1]:443'],
    ['svc_a.internal', 'svc_a.internal', 'svc_a.internal'],
    ['', '', ''],
  ];
  for (const [value, host, authority] of cases) assert.deepEqual(parseAuthority(value), { ok: true, host, authority }, value);
});

test('refuses userinfo, paths, separators, quotes, escapes, bad labels, bad ports and bad IPv6 literals', () => {
  for (const value of ['a@b', 'a/b', 'a b', 'a,b', '"a"', "a'b", 'a;b', 'a%2e', 'a..b', '.', '..', '.a', 'a..', `${'x'.repeat(64)}.a`, `${'a.'.repeat(127)}aa`, 'a:', 'a:x', 'a:1:2', 'a:65536', 'a:+1', 'a: 1', '[::1', '[::1]:', '[::1]x', '[fe80::1%25eth0]', '[fe80::1%eth0]', '[1.2.3.4]', '[v1.x]', 'ex\u00e1mple', 'a\tb']) {
    assert.equal(parseAuthority(value).ok, false, value);
  }
});

test('puts configured route hosts in the same canonical form', () => {
  assert.equal(canonicalRouteHost('Admin.Example.com.'), 'admin.example.com');
  assert.equal(canonicalRouteHost('*.Example.com'), '*.example.com');
});
