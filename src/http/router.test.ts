import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePathTemplate, fillTemplate, type TemplateSegment } from './path-template.js';
import { Router } from './router.js';

function segments(path: string): TemplateSegment[] {
  const result = compilePathTemplate(path);
  if (!result.ok) throw new Error(result.message);
  return result.segments;
}

const router = new Router([
  { route: 'account', methods: ['GET'], segments: segments('/accounts/:id'), host: undefined },
  { route: 'summary', methods: ['GET'], segments: segments('/accounts/summary'), host: undefined },
  { route: 'delete', methods: ['DELETE'], segments: segments('/accounts/:id'), host: undefined },
  { route: 'files', methods: ['GET'], segments: segments('/files/*'), host: undefined },
  { route: 'tenant-a', methods: ['GET'], segments: segments('/me'), host: 'a.example.com' },
  { route: 'tenant-any', methods: ['GET'], segments: segments('/me'), host: '*.example.com' },
  { route: 'me', methods: ['GET'], segments: segments('/me'), host: undefined },
]);

test('matches parameters and prefers static segments', () => {
  assert.deepEqual(router.match('GET', 'x', '/accounts/42'), { kind: 'found', route: 'account', params: { id: '42' } });
  assert.deepEqual(router.match('GET', 'x', '/accounts/summary'), { kind: 'found', route: 'summary', params: {} });
  assert.deepEqual(router.match('DELETE', 'x', '/accounts/summary'), { kind: 'found', route: 'delete', params: { id: 'summary' } });
});

test('matches a wildcard tail, including an empty one', () => {
  assert.deepEqual(router.match('GET', 'x', '/files/a/b/c'), { kind: 'found', route: 'files', params: { '*': 'a/b/c' } });
  assert.deepEqual(router.match('GET', 'x', '/files'), { kind: 'found', route: 'files', params: { '*': '' } });
});

test('serves HEAD wherever GET is served', () => {
  assert.equal(router.match('HEAD', 'x', '/accounts/1').kind, 'found');
});

test('tells a wrong method (with the allowed ones) from an unknown path', () => {
  assert.deepEqual(router.match('POST', 'x', '/accounts/1'), { kind: 'method_not_allowed', allow: ['DELETE', 'GET', 'HEAD'] });
  assert.deepEqual(router.match('GET', 'x', '/nothing'), { kind: 'not_found' });
  assert.deepEqual(router.match('GET', 'x', '/accounts/1/extra'), { kind: 'not_found' });
  assert.deepEqual(router.match('GET', 'x', '/accounts/'), { kind: 'not_found' }, 'an empty segment is not a parameter');
});

test('prefers an exact host, then a wildcard host, then any host', () => {
  assert.equal((router.match('GET', 'a.example.com', '/me') as { route: string }).route, 'tenant-a');
  assert.equal((router.match('GET', 'b.example.com', '/me') as { route: string }).route, 'tenant-any');
  assert.equal((router.match('GET', 'example.com', '/me') as { route: string }).route, 'me');
});

test('refuses malformed templates and fills rewrites', () => {
  assert.equal(compilePathTemplate('accounts').ok, false);
  assert.equal(compilePathTemplate('/a/*/b').ok, false);
  assert.equal(compilePathTemplate('/a/:id/:id').ok, false);
  assert.equal(compilePathTemplate('/a/../b').ok, false);
  assert.equal(fillTemplate(segments('/v2/accounts/:id/*'), { id: '7', '*': 'x/y' }), '/v2/accounts/7/x/y');
});
