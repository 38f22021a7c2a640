/**
 * The vault's KEK inside an HSM (issue 19 §1): a SoftHSM2 token made in a temp dir, an AES-256 key
 * that never leaves it. Data keys wrapped in the token open only there and only with their AAD (a
 * row swapped is refused); the id comes from the token serial and key label; a wrong module,
 * token, PIN or key (or an extractable key) stops the KEK with a message that never holds the PIN.
 * End to end on a gateway: `portcullis vault rotate-kek` from an env KEK to the HSM and back while
 * the gateway serves without one failed request, a secret set and read through a gateway whose
 * only KEK is the HSM, and the PIN in no log line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveSecretReference, type SecretValue } from '../src/config/secret.js';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/observability/logger.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { VaultIntegrityError } from '../src/vault/aead.js';
import { KekRing, LocalKek } from '../src/vault/kek.js';
import { KekConfigError, kekRing } from '../src/vault/kek-sources.js';
import { sealedCensus } from '../src/vault/sealed-columns.js';
import { SecretRepository } from '../src/vault/secret-repository.js';
import { VaultService } from '../src/vault/vault-service.js';
import { runCliAsync } from './helpers/cli.js';
import { eventually, httpRequest, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';
import { AdminClient, keysConfig, KEY_ENV, startKeyGateway } from './helpers/keys.js';
import { createSoftHsmToken, generateAesKey, skipWithoutSoftHsm, SOFTHSM_MODULE, type TestToken } from './helpers/softhsm.js';
import { storeFor, TEST_ACTOR } from './helpers/store.js';

const ENV_KEK = randomBytes(32);
const ENV_ID = new LocalKek(ENV_KEK, 'env').id;
const quiet = createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true });
const envKek = { source: 'env', key: '${env:ENV_KEK}' };

describe('vault KEK in a PKCS#11 token (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let token: TestToken;
  let hsmKek: Record<string, unknown>;
  const vaultOf = (kek: Record<string, unknown>, previousKeks: Array<Record<string, unknown>> = []) => ({ kek, previousKeks });
  const pinValue = (pin: string) => (resolveSecretReference('${env:HSM_PIN}', { HSM_PIN: pin }) as { value: SecretValue }).value;
  const ringOf = (kek: Record<string, unknown>, pin = token.pin) => kekRing({ kek: { ...kek, pin: pinValue(pin) }, previousKeks: [] } as never);

  before(() => {
    token = createSoftHsmToken();
    hsmKek = { source: 'pkcs11', module: SOFTHSM_MODULE, tokenLabel: token.tokenLabel, pin: '${env:HSM_PIN}', keyLabel: token.keyLabel };
  });

  test('a wrong PIN, token, key or module, or an extractable key, is refused by name, never echoing the PIN', () => {
    // First: before any login of this process, so the wrong PIN reaches the token.
    const wrongPin = `wrong-${token.pin}`;
    assert.throws(() => ringOf(hsmKek, wrongPin), (error: Error) => error instanceof KekConfigError && /refused the login: CKR_PIN_INCORRECT/.test(error.message) && !error.message.includes(wrongPin));
    assert.throws(() => ringOf({ ...hsmKek, tokenLabel: 'no-such-token' }), /no token labelled "no-such-token"/);
    assert.throws(() => ringOf({ ...hsmKek, keyLabel: 'no-such-key' }), /no AES key labelled "no-such-key"/);
    assert.throws(() => ringOf({ ...hsmKek, module: '/nonexistent/libpkcs11.so' }), /cannot load the PKCS#11 module \/nonexistent\/libpkcs11.so/);
    assert.throws(() => kekRing({ kek: { ...hsmKek, pin: pinValue(token.pin), keyLabel: undefined }, previousKeks: [] } as never), /vault\.kek: source pkcs11 needs vault\.kek\.keyLabel/);
    generateAesKey(token, 'extractable-kek', { extractable: true });
    assert.throws(() => ringOf({ ...hsmKek, keyLabel: 'extractable-kek' }), /must be sensitive and not extractable/);
    // Logged in now: another config naming the token with a wrong PIN still does not get in.
    ringOf(hsmKek);
    assert.throws(() => ringOf(hsmKek, wrongPin), /open in this process with another PIN/);
  });

  test('a data key wrapped in the token opens only there and only with its AAD; the id is stable and not from the key', async () => {
    const kek = ringOf(hsmKek).current;
    assert.equal(kek.source, 'pkcs11');
    assert.match(kek.id, /^kek-[0-9a-f]{16}$/);
    assert.equal(ringOf(hsmKek).current.id, kek.id, 'the same token and label give the same id');
    const dataKey = randomBytes(32);
    const aad = Buffer.from('secret:sec_1:v1');
    const wrapped = await kek.wrap(dataKey, aad);
    assert.ok(!wrapped.includes(dataKey.toString('base64url')));
    assert.deepEqual(await kek.unwrap(wrapped, aad), dataKey);
    assert.notEqual(await kek.wrap(dataKey, aad), wrapped, 'a fresh IV per wrap');
    await assert.rejects(kek.unwrap(wrapped, Buffer.from('secret:sec_2:v1')), VaultIntegrityError);
    const [iv, ciphertext, tag] = wrapped.split('.') as [string, string, string];
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0]! ^= 1;
    await assert.rejects(kek.unwrap([iv, flipped.toString('base64url'), tag].join('.'), aad), VaultIntegrityError);
    // Without the token: no key outside it opens the wrap (here, any AES-256 key in memory).
    await assert.rejects(new LocalKek(randomBytes(32), 'env').unwrap(wrapped, aad), VaultIntegrityError);
  });

  test('a secret version whose HSM-wrapped key or ciphertext is swapped onto another row is refused', async () => {
    const store = storeFor(openStore({ driver: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'portcullis-hsm-swap-')), 'store.db') }), systemClock);
    await migrateToLatest(store as never);
    const repository = new SecretRepository(store.db);
    const service = new VaultService(store, repository, ringOf(hsmKek), quiet);
    try {
      await service.set(TEST_ACTOR, 'crm-key', Buffer.from('crm-secret-value'));
      await service.set(TEST_ACTOR, 'swap-target', Buffer.from('target-value'));
      assert.equal((await service.reveal(TEST_ACTOR, 'swap-target')).value, 'target-value');
      const crm = (await repository.findByName('crm-key'))!;
      const target = (await repository.findByName('swap-target'))!;
      const source = await store.db.selectFrom('vault_secret_versions').selectAll().where('secret_id', '=', crm.id).executeTakeFirstOrThrow();
      await store.db.updateTable('vault_secret_versions').set({ wrapped_key: source.wrapped_key, ciphertext: source.ciphertext }).where('secret_id', '=', target.id).execute();
      await assert.rejects(service.reveal(TEST_ACTOR, 'swap-target'), VaultIntegrityError);
      assert.equal((await service.reveal(TEST_ACTOR, 'crm-key')).value, 'crm-secret-value');
    } finally {
      await store.close();
    }
  });

  describe('on a gateway: rotate-kek from an env KEK to the HSM and back', () => {
    let upstream: TestUpstream;
    let gw: (TestGateway & { admin: AdminClient }) | undefined;
    const logs: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-hsm-gw-'));
    const path = join(dir, 'store.db');
    const store = { path, pollIntervalMs: 100 };
    const env = (): Record<string, string> => ({ ...KEY_ENV, ENV_KEK: ENV_KEK.toString('base64'), HSM_PIN: token.pin, SOFTHSM2_CONF: token.conf });
    const extra = (vault: Record<string, unknown>) => ({ vault, upstreams: { backend: { targets: [upstream.url], auth: { type: 'bearer', token: '${secret:payroll-token}' } } } });
    const start = async (vault: Record<string, unknown>) => {
      if (gw) logs.push(gw.logs.text());
      await gw?.close();
      gw = await startKeyGateway(upstream.url, extra(vault), { store, env: env() });
    };
    const sent = async () => {
      const reply = await httpRequest(`${gw!.url}/pay`);
      assert.equal(reply.status, 200, reply.text);
      return reply.json<{ headers: Record<string, string> }>().headers.authorization;
    };
    const census = async () => {
      const opened = openStore({ driver: 'sqlite', path });
      try {
        return (await sealedCensus(opened.db as never)).secret_versions;
      } finally {
        await opened.close();
      }
    };
    /** `portcullis vault rotate-kek` as a separate process (its own login to the token) while the gateway serves. */
    const rotate = async (vault: Record<string, unknown>) => {
      const file = join(dir, `rotate-${randomBytes(4).toString('hex')}.json`);
      writeFileSync(file, JSON.stringify(keysConfig(upstream.url, extra(vault), store)));
      let rotating = true;
      const failures: string[] = [];
      let served = 0;
      const load = (async () => {
        while (rotating) {
          const reply = await httpRequest(`${gw!.url}/pay`);
          if (reply.status !== 200) failures.push(`${reply.status} ${reply.text}`);
          served++;
        }
      })();
      const run = await runCliAsync(['vault', 'rotate-kek', '--config', file, '--batch-size', '1', '--json'], env());
      rotating = false;
      await load;
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(failures, [], 'no request failed during the rotation');
      assert.ok(served > 0);
      logs.push(run.stdout, run.stderr);
      return JSON.parse(run.stdout) as { kekId: string; done: boolean };
    };

    before(async () => {
      upstream = await startUpstream();
      const opened = openStore({ driver: 'sqlite', path });
      await migrateToLatest(opened);
      const writer = storeFor(opened, systemClock);
      const service = new VaultService(writer, new SecretRepository(writer.db), new KekRing(new LocalKek(ENV_KEK, 'env')), quiet);
      for (let i = 1; i <= 3; i++) await service.set(TEST_ACTOR, 'payroll-token', Buffer.from(`value-${i}`));
      await writer.close();
    });
    after(async () => {
      await gw?.close();
      await upstream?.close();
    });

    test('env → HSM: every data key re-wrapped online; a gateway with only the HSM KEK reads and writes', async () => {
      await start(vaultOf(envKek, [hsmKek]));
      assert.equal(await sent(), 'Bearer value-3');
      const hsmId = ringOf(hsmKek).current.id;
      assert.deepEqual(await census(), { [ENV_ID]: 3 });
      const result = await rotate(vaultOf(hsmKek, [envKek]));
      assert.equal(result.kekId, hsmId);
      assert.equal(result.done, true);
      assert.deepEqual(await census(), { [hsmId]: 3 });

      await start(vaultOf(hsmKek));
      assert.equal(await sent(), 'Bearer value-3');
      const set = await gw!.admin.call('POST', '/v1/secrets/payroll-token/versions', { value: 'value-4' });
      assert.equal(set.status, 201, set.text);
      await eventually(async () => (await sent()) === 'Bearer value-4', 'the version set through the HSM-only gateway is served', 2000);
      assert.deepEqual(await census(), { [hsmId]: 4 });
    });

    test('HSM → env: rotated back online; the PIN is in no log line of the gateways or the CLI', async () => {
      await start(vaultOf(hsmKek, [envKek]));
      const result = await rotate(vaultOf(envKek, [hsmKek]));
      assert.equal(result.kekId, ENV_ID);
      assert.deepEqual(await census(), { [ENV_ID]: 4 });
      await start(vaultOf(envKek));
      assert.equal(await sent(), 'Bearer value-4');
      logs.push(gw!.logs.text());
      const everything = logs.join('\n');
      assert.match(everything, /vault\.kek_rotation_progress/, 'the logs were captured');
      assert.ok(!everything.includes(token.pin), 'the PIN is in no log line');
    });
  });
});
