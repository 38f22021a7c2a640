/**
 * `portcullis config validate` checks `${secret:NAME}` references against the config's store: a
 * name the vault lacks fails validation with the config path of each reference; a store that is
 * not there yet leaves them unchecked with a warning (start and reload still refuse them).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { runCliAsync } from './helpers/cli.js';
import { baseConfig } from './helpers/index.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const KEK = randomBytes(32);
const env = { PORTCULLIS_VAULT_KEK: KEK.toString('base64') };

function configFile(dir: string, storePath: string, token: string, password: string): string {
  const file = join(dir, `portcullis-${randomBytes(4).toString('hex')}.yaml`);
  const config = baseConfig(['http://127.0.0.1:1'], {
    store: { path: storePath },
    vault: { kek: { source: 'env', key: '${env:PORTCULLIS_VAULT_KEK}' } },
    upstreams: {
      payroll: { targets: ['http://127.0.0.1:1'], auth: { type: 'bearer', token } },
      crm: { targets: ['http://127.0.0.1:2'], auth: { type: 'basic', username: 'gw', password } },
    },
    routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'payroll' }],
  });
  writeFileSync(file, JSON.stringify(config));
  return file;
}

test('config validate fails on a ${secret:} the vault lacks, naming each config path; a store not there yet is a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-validate-vault-'));
  const storePath = join(dir, 'store.db');
  const opened = openStore({ driver: 'sqlite', path: storePath });
  await migrateToLatest(opened);
  const writer = storeFor(opened, systemClock);
  await new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(KEK, 'env')), createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true })).set(TEST_ACTOR, 'payroll-token', Buffer.from('t0ken'));
  await writer.close();

  const [good, bad, absent] = await Promise.all([
    runCliAsync(['config', 'validate', configFile(dir, storePath, '${secret:payroll-token}', '${secret:payroll-token}')], env),
    runCliAsync(['config', 'validate', configFile(dir, storePath, '${secret:payroll-token}', '${secret:crm-password}')], env),
    runCliAsync(['config', 'validate', configFile(dir, join(dir, 'nowhere', 'store.db'), '${secret:crm-password}', '${secret:crm-password}')], env),
  ]);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(bad.status, 1, bad.stdout);
  assert.match(bad.stderr, /upstreams\.crm\.auth\.password: \$\{secret:crm-password\}: the vault has no secret of that name/);
  assert.doesNotMatch(bad.stderr, /upstreams\.payroll/);
  assert.equal(absent.status, 0, absent.stderr);
  assert.match(absent.stderr, /warning: store\.path: .*references not checked: .* does not exist yet/);
  assert.equal(existsSync(join(dir, 'nowhere')), false, 'validation created no store');
});
