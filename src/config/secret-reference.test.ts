/**
 * `${secret:NAME}` references: accepted in secret fields only with a store and a vault, never in
 * store.url or the vault section; loaded as unbound references that cannot be revealed until the
 * node's vault binds them, and refused (start, reload) when the vault cannot give the name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SecretLookup } from '../core/secret-lookup.js';
import { bindVaultReferences } from '../server/vault-binding.js';
import { formatIssue, validateConfig } from './loader.js';
import { VaultSecretReference } from './secret.js';

const KEK = Buffer.alloc(32, 7).toString('base64');

const config = (extra: Record<string, unknown> = {}) => ({
  listeners: [{ name: 'public', port: 8080 }],
  upstreams: { payroll: { targets: ['http://10.0.0.5:8080'], auth: { type: 'bearer', token: '${secret:payroll-token}' } } },
  routes: [{ name: 'pay', methods: ['GET'], path: '/pay', upstream: 'payroll' }],
  store: { driver: 'sqlite', path: ':memory:' },
  vault: { kek: { source: 'env', key: '${env:KEK}' } },
  ...extra,
});

/** A vault holding `values`; a changed map is seen at the next reveal. */
function lookup(values: Map<string, string>): SecretLookup {
  return {
    unavailable: (name) => (values.has(name) ? undefined : 'the vault has no secret of that name with a promoted version'),
    current: (name) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`secret ${name} is gone`);
      return value;
    },
  };
}

describe('${secret:NAME} references', () => {
  test('load as unbound references that cannot be revealed before the vault binds them', () => {
    const loaded = validateConfig(config(), { KEK });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).join('\n'));
    const token = loaded.config.upstreams.payroll!.auth!.token!;
    assert.ok(token instanceof VaultSecretReference);
    assert.throws(() => token.reveal(), /not bound to a vault/);
    assert.equal(JSON.stringify(token), '"[secret ${secret:payroll-token}]"');
  });

  test('once bound, every reveal gives the vault\'s current value (a new version without a reload)', () => {
    const loaded = validateConfig(config(), { KEK });
    assert.ok(loaded.ok);
    const values = new Map([['payroll-token', 'v1-token']]);
    assert.equal(bindVaultReferences(loaded.config, lookup(values)), undefined);
    const token = loaded.config.upstreams.payroll!.auth!.token!;
    assert.equal(token.reveal(), 'v1-token');
    values.set('payroll-token', 'v2-token');
    assert.equal(token.reveal(), 'v2-token');
  });

  test('a name the vault cannot give is refused, naming the reference and never a value', () => {
    const loaded = validateConfig(config(), { KEK });
    assert.ok(loaded.ok);
    const issue = bindVaultReferences(loaded.config, lookup(new Map([['other', 'x']])));
    assert.match(issue?.message ?? '', /\$\{secret:payroll-token\}: the vault has no secret of that name/);
    assert.throws(() => loaded.config.upstreams.payroll!.auth!.token!.reveal(), /not bound/, 'still unrevealable');
    assert.match(bindVaultReferences(loaded.config, undefined)?.message ?? '', /no vault is open/);
  });

  test('are refused without a store and vault, in store.url, and in the vault section', () => {
    const { vault: _vault, ...withoutVault } = config();
    let loaded = validateConfig(withoutVault, { KEK });
    assert.ok(!loaded.ok);
    assert.deepEqual(loaded.issues.map(formatIssue), ['upstreams.payroll.auth.token: names a vault secret: configure store and vault (docs/vault.md)']);
    loaded = validateConfig(config({ store: { driver: 'postgres', url: '${secret:db-url}' } }), { KEK });
    assert.ok(!loaded.ok);
    assert.match(loaded.issues.map(formatIssue).join('\n'), /store\.url: the store cannot be reached through the vault/);
    loaded = validateConfig(config({ vault: { kek: { source: 'env', key: '${secret:kek}' } } }), {});
    assert.ok(!loaded.ok);
    assert.match(loaded.issues.map(formatIssue).join('\n'), /vault\.kek\.key: a KEK cannot be kept in the vault/);
  });

  test('a literal in a secret field is refused with a hint naming both reference kinds', () => {
    const raw = config();
    (raw.upstreams.payroll.auth as Record<string, unknown>).token = 'literal-token-value';
    const loaded = validateConfig(raw, { KEK });
    assert.ok(!loaded.ok);
    const text = loaded.issues.map(formatIssue).join('\n');
    assert.match(text, /\$\{env:NAME\} or \$\{secret:NAME\}/);
    assert.ok(!text.includes('literal-token-value'));
  });
});
