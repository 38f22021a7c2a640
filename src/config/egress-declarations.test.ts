import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EgressRules } from '../outbound/index.js';
import { egressPolicyOf } from './egress-declarations.js';
import { validateConfig } from './loader.js';
import type { GatewayConfig } from './schema.js';

function load(raw: Record<string, unknown>): GatewayConfig {
  const loaded = validateConfig({ listeners: [{ name: 'p', port: 0 }], routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u' }], ...raw }, {});
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  return loaded.config;
}

const at = (host: string, address: string, port = 443, protocol: 'http:' | 'https:' = 'https:') => ({ host, port, protocol, address });

test('the config declares its upstream targets, issuers (global and per route), CRL URLs and egress.allow; nothing else', () => {
  const config = load({
    upstreams: {
      u: { targets: ['https://api.processor.example', 'http://127.0.0.1:9000/base'] },
      private: { targets: ['http://ledger.internal:8080'], egress: { allowHttp: true, allowAddresses: ['10.20.0.0/16'] } },
    },
    policies: { 'auth-jwt': { issuers: [{ issuer: 'https://idp.example', discoveryUrl: 'https://idp.example/.well-known/openid-configuration' }], audiences: ['a'] } },
    routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'u', policies: { 'auth-jwt': { issuers: [{ issuer: 'https://other.example', jwksUrl: 'https://keys.other.example/jwks' }], audiences: ['a'] } } }],
    egress: { allow: [{ host: '*.alerts.example', ports: [8443] }, { host: 'idp.internal', addresses: ['10.9.0.0/16'] }] },
  });
  const policy = egressPolicyOf(config);
  assert.equal(policy.mode, 'enforce');
  const rules = new EgressRules(policy.destinations);
  const allowed = [
    at('api.processor.example', '93.184.216.34'),
    at('127.0.0.1', '127.0.0.1', 9000, 'http:'),
    at('ledger.internal', '10.20.1.1', 8080, 'http:'),
    at('idp.example', '93.184.216.34'),
    at('keys.other.example', '93.184.216.34'),
    at('a.b.alerts.example', '93.184.216.34', 8443),
    at('idp.internal', '10.9.0.1'),
  ];
  for (const connection of allowed) assert.equal(rules.check(connection), undefined, JSON.stringify(connection));
  assert.equal(rules.check(at('api.processor.example', '93.184.216.34', 80, 'http:'))?.reason, 'port_not_declared');
  assert.equal(rules.check(at('ledger.internal', '10.21.0.1', 8080, 'http:'))?.reason, 'address_blocked');
  assert.equal(rules.check(at('api.processor.example', '10.0.0.1'))?.reason, 'address_blocked');
  assert.equal(rules.check(at('a.b.alerts.example', '93.184.216.34'))?.reason, 'port_not_declared');
  assert.equal(rules.check(at('metadata.google.internal', '169.254.169.254', 80, 'http:'))?.reason, 'host_not_declared');
});

test('any other http(s) URL inside an upstream section is declared (a credential token endpoint), with the upstream\'s http and address rules', () => {
  const config = load({ upstreams: { u: { targets: ['https://api.processor.example'], egress: { allowAddresses: ['10.1.0.0/16'] } } } });
  // As another helper's schema may add it: an upstream credential's token endpoint.
  const withToken = { ...config, upstreams: { u: { ...config.upstreams.u!, auth: { type: 'oauth', tokenUrl: 'https://auth.processor.example/oauth2/token' } } } } as unknown as GatewayConfig;
  const rules = new EgressRules(egressPolicyOf(withToken).destinations);
  assert.equal(rules.check(at('auth.processor.example', '10.1.2.3')), undefined);
  assert.equal(rules.check(at('auth.processor.example', '10.2.0.1'))?.reason, 'address_blocked');
});

test('report mode declares a plain-http target on a name as https only, so its connections are reported as scheme_not_allowed', () => {
  const config = load({ egress: { mode: 'report' }, upstreams: { u: { targets: ['http://api.partner.example'] } } });
  const policy = egressPolicyOf(config);
  assert.equal(policy.mode, 'report');
  assert.equal(new EgressRules(policy.destinations).check(at('api.partner.example', '93.184.216.34', 80, 'http:'))?.reason, 'scheme_not_allowed');
});
