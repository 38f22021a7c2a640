import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { formatIssue, loadConfigText, validateConfig } from './loader.js';
import { SecretValue } from './secret.js';

const valid = () => ({
  listeners: [{ name: 'public', port: 8080 }],
  upstreams: { payments: { targets: ['http://10.0.0.5:8080'] } },
  routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'payments' }],
});

function issuesOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const result = validateConfig(raw, env);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.issues.map(formatIssue);
}

describe('config loading', () => {
  test('accepts a minimal config and fills every default', () => {
    const result = validateConfig(valid(), {});
    assert.ok(result.ok);
    const config = result.config;
    assert.equal(config.listeners[0]!.host, '0.0.0.0');
    assert.equal(config.listeners[0]!.headersTimeoutMs, 10000);
    assert.equal(config.upstreams.payments!.retries.attempts, 1);
    assert.deepEqual(config.upstreams.payments!.retries.methods, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
    assert.equal(config.admin.host, '127.0.0.1');
    assert.equal(config.policies['request-size-limit']!.maxBytes, 10 * 1024 * 1024, 'the size limit is on by default');
    assert.ok(config.policies['security-headers'], 'security headers are on by default');
    assert.equal(config.policies.cors, undefined, 'CORS is off unless configured');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.routes[0]), 'a loaded config is frozen');
  });

  test('reports every error at once, each with its path', () => {
    const raw = {
      listeners: [{ name: 'public', port: 70000, colour: 'blue' }],
      upstreams: { payments: { targets: ['ftp://files.example.com', 'http://user:pw@10.0.0.1'] } },
      trustedProxies: ['10.0.0.0/33'],
      routes: [
        { name: 'a', methods: ['GET'], path: '/a', upstream: 'payments' },
        { name: 'b', methods: ['FETCH'], path: '/b', upstream: 'payments' },
        { name: 'c', methods: ['GET'], path: '/c/:id', upstream: 'paymnts', rewrite: '/x/:acct' },
        { name: 'a', methods: ['GET'], upstream: 'payments' },
      ],
    };
    const issues = issuesOf(raw);
    const expected = [
      'listeners[0].port: must be <= 65535',
      'listeners[0].colour: unknown option',
      'upstreams.payments.targets[0]: must be an http:// or https:// URL',
      'upstreams.payments.targets[1]: must not contain credentials: use the upstream `auth` option with a secret reference',
      'trustedProxies[0]: "10.0.0.0/33" is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)',
      'routes[1].methods[0]: must be one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'routes[2].upstream: unknown upstream "paymnts" (did you mean "payments"?)',
      'routes[2].rewrite: parameter ":acct" is not in the route path',
      'routes[3].path: is required',
      'routes[3].name: "a" is already used by routes[0]',
    ];
    for (const line of expected) assert.ok(issues.includes(line), `missing "${line}" in:\n${issues.join('\n')}`);
  });

  test('suggests the option that was probably meant', () => {
    const raw = valid() as any;
    raw.upstreams.payments.connectTimeutMs = 100;
    raw.policies = { 'request-size-limt': {} };
    const issues = issuesOf(raw);
    assert.ok(issues.includes('upstreams.payments.connectTimeutMs: unknown option (did you mean "connectTimeoutMs"?)'), issues.join('\n'));
    assert.ok(issues.includes('policies.request-size-limt: unknown policy (did you mean "request-size-limit"?)'), issues.join('\n'));
  });

  test('refuses a literal value in a secret field without echoing it', () => {
    const raw = valid() as any;
    raw.upstreams.payments.auth = { type: 'bearer', token: 'sk_live_abcdef123456' };
    const issues = issuesOf(raw);
    assert.deepEqual(issues, ['upstreams.payments.auth.token: is a secret: give a reference such as ${env:NAME} or ${secret:NAME}, not a literal value']);
    assert.doesNotMatch(issues.join('\n'), /sk_live_abcdef123456/);
  });

  test('resolves a secret reference into a value that never prints', () => {
    const raw = valid() as any;
    raw.upstreams.payments.auth = { type: 'bearer', token: '${env:PAYMENTS_TOKEN}' };
    const result = validateConfig(raw, { PAYMENTS_TOKEN: 'sk_live_abcdef123456' });
    assert.ok(result.ok);
    const token = result.config.upstreams.payments!.auth!.token!;
    assert.ok(token instanceof SecretValue);
    assert.equal(token.reveal(), 'sk_live_abcdef123456');
    assert.doesNotMatch(JSON.stringify(result.config), /sk_live/);
    assert.doesNotMatch(inspect(result.config, { depth: 10 }), /sk_live/);
    assert.doesNotMatch(`${token}`, /sk_live/);
  });

  test('reports a secret reference whose variable is not set', () => {
    const raw = valid() as any;
    raw.upstreams.payments.auth = { type: 'header', header: 'X-Api-Key', value: '${env:MISSING_KEY}' };
    assert.deepEqual(issuesOf(raw), ['upstreams.payments.auth.value: environment variable MISSING_KEY is not set']);
  });

  test('checks that auth fields fit the auth type', () => {
    const raw = valid() as any;
    raw.upstreams.payments.auth = { type: 'basic', username: 'u', token: '${env:X}' };
    const issues = issuesOf(raw, { X: 'x' });
    assert.ok(issues.includes('upstreams.payments.auth.password: is required for type basic'), issues.join('\n'));
    assert.ok(issues.includes('upstreams.payments.auth.token: does not apply to type basic'), issues.join('\n'));
  });

  test("runs each policy's own checks, at the global and the route level", () => {
    const raw = valid() as any;
    raw.policies = { cors: { allowOrigins: ['*'], allowCredentials: true } };
    raw.routes[0].policies = { cors: { allowOrigins: ['*'], allowCredentials: true } };
    const issues = issuesOf(raw);
    assert.ok(issues.includes('policies.cors.allowOrigins: "*" cannot be combined with allowCredentials: list the origins'), issues.join('\n'));
    assert.ok(issues.includes('routes[0].policies.cors.allowOrigins: "*" cannot be combined with allowCredentials: list the origins'), issues.join('\n'));
  });

  test('refuses two routes that serve the same method and path', () => {
    const raw = valid() as any;
    raw.routes.push({ name: 'dup', methods: ['GET'], path: '/v1/accounts/:other', upstream: 'payments' });
    assert.deepEqual(issuesOf(raw), ['routes[1].path: GET /v1/accounts/:other is already served by routes[0]']);
  });

  test('reads YAML and JSON, and refuses duplicate keys', () => {
    assert.ok(loadConfigText(JSON.stringify(valid()), {}).ok);
    const yaml = `listeners:\n  - name: public\n    port: 8080\nupstreams:\n  payments:\n    targets: [http://10.0.0.5]\nroutes:\n  - name: a\n    methods: [GET]\n    path: /a\n    upstream: payments\n`;
    assert.ok(loadConfigText(yaml, {}).ok);
    const duplicated = loadConfigText(`${yaml}routes: []\n`, {});
    assert.equal(duplicated.ok, false);
    assert.match(duplicated.ok ? '' : formatIssue(duplicated.issues[0]!), /unique|duplicate/i);
  });
});
