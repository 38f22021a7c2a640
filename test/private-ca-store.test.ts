/**
 * The private CA with a store (`--config`): a folder that kept issued.json has its records moved
 * into the store on first use, and every issuance and revocation (with the CRL it signs) is a
 * unit of work recorded as `cli:<login>`, so other nodes follow it; the folder alone no longer
 * answers for a CA whose records are in the store.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { x509 } from '../src/auth/x509.js';
import { openStore } from '../src/store/open-store.js';
import { runCliAsync } from './helpers/cli.js';
import { baseConfig, startGateway, startUpstream } from './helpers/index.js';
import { KEY_ENV, keysConfig } from './helpers/keys.js';

const ENV = { ...KEY_ENV, PTC_CA_PASSPHRASE: 'correct horse battery staple 42' };

let work: string;
let config: string;
let dir: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-ca-store-'));
  config = join(work, 'portcullis.json');
  writeFileSync(config, JSON.stringify({ ...keysConfig('http://127.0.0.1:9'), store: { path: join(work, 'store.db') } }));
  dir = join(work, 'ca');
});

const cli = (args: string[]) => runCliAsync(args, ENV);
const changes = async () => {
  const store = openStore({ driver: 'sqlite', path: join(work, 'store.db') });
  try {
    return await store.db.selectFrom('changes').select(['entity', 'entity_id', 'actor_kind', 'actor_id', 'action']).where('entity', 'in', ['certificate', 'crl']).orderBy('revision').execute();
  } finally {
    await store.close();
  }
};

test('moves issued.json into the store on first use, then records issuance and revocation with the CLI actor', async () => {
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=Store CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  const before = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'early', '--out', join(work, 'early.crt'), '--out-key', join(work, 'early.key'), '--json']);
  assert.equal(before.status, 0, before.stderr);
  const early = JSON.parse(before.stdout) as { serial: string };
  assert.equal((JSON.parse(readFileSync(join(dir, 'issued.json'), 'utf8')) as unknown[]).length, 1, 'without a store: issued.json');

  const issued = await cli(['certs', 'issue', '--dir', dir, '--config', config, '--consumer', 'late', '--out', join(work, 'late.crt'), '--out-key', join(work, 'late.key'), '--json']);
  assert.equal(issued.status, 0, issued.stderr);
  assert.match(issued.stderr, /1 issued certificate records moved into the store/);
  const late = JSON.parse(issued.stdout) as { serial: string };
  assert.equal(existsSync(join(dir, 'issued.json')), false, 'issued.json is no longer read');
  assert.ok(existsSync(join(dir, 'issued.json.imported')));
  assert.equal((JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as { ledger?: string }).ledger, 'store');

  const revoked = await cli(['certs', 'revoke', '--dir', dir, '--config', config, early.serial, '--json']);
  assert.equal(revoked.status, 0, revoked.stderr);
  assert.equal((JSON.parse(revoked.stdout) as { status: string }).status, 'revoked');

  const login = userInfo().username;
  const rows = await changes();
  const caId = rows.find((row) => row.entity === 'crl')!.entity_id;
  assert.deepEqual(
    rows.map((row) => [row.entity, row.entity_id, row.actor_kind, row.actor_id, row.action]),
    [
      ['certificate', `${caId}:${early.serial}`, 'cli', login, 'certificate.import'],
      ['crl', caId, 'cli', login, 'certificate.import'],
      ['certificate', `${caId}:${late.serial}`, 'cli', login, 'certificate.issue'],
      ['certificate', `${caId}:${early.serial}`, 'cli', login, 'certificate.revoke'],
      ['crl', caId, 'cli', login, 'certificate.revoke'],
    ],
  );

  // The folder's crl.pem is the store's newest CRL, and lists the revoked serial.
  const store = openStore({ driver: 'sqlite', path: join(work, 'store.db') });
  const stored = await store.db.selectFrom('pki_crls').select(['pem']).where('ca_id', '=', caId).executeTakeFirstOrThrow();
  await store.close();
  assert.equal(readFileSync(join(dir, 'crl.pem'), 'utf8'), stored.pem);
  assert.ok(new x509.X509Crl(stored.pem).entries.some((entry) => entry.serialNumber.toLowerCase().replace(/^0+/, '') === early.serial));

  const listed = await cli(['certs', 'list', '--dir', dir, '--config', config, '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ serial: string; status: string }>).map((record) => [record.serial, record.status]),
    [
      [early.serial, 'revoked'],
      [late.serial, 'active'],
    ],
  );
});

test('a CA whose records are in the store refuses commands without --config, rather than answer from a stale folder', async () => {
  for (const args of [
    ['certs', 'list', '--dir', dir],
    ['certs', 'revoke', '--dir', dir, '01'],
    ['certs', 'issue', '--dir', dir, '--consumer', 'x', '--out', join(work, 'x.crt'), '--out-key', join(work, 'x.key')],
    ['ca', 'crl', '--dir', dir],
  ]) {
    const result = await cli(args);
    assert.equal(result.status, 1, args.join(' '));
    assert.match(result.stderr, /keeps its records in the store: name the gateway config with --config/);
  }
});

test('ca crl --config signs a fresh CRL as its own recorded change', async () => {
  const before = (await changes()).length;
  const result = await cli(['ca', 'crl', '--dir', dir, '--config', config]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /CRL written: 1 revoked/);
  const rows = (await changes()).slice(before);
  assert.deepEqual(rows.map((row) => [row.entity, row.action]), [['crl', 'crl.sign']]);
});

test("a gateway with the store serves the CA's newest CRL from it, also when the folder's crl.pem is gone", async () => {
  const upstream = await startUpstream();
  const gw = await startGateway(baseConfig([upstream.url], { store: { path: join(work, 'store.db') }, pki: { caDir: dir } }));
  try {
    rmSync(join(dir, 'crl.pem'));
    const served = await fetch(`${gw.url}/pki/ca.crl`);
    assert.equal(served.status, 200);
    const crl = new x509.X509Crl(await served.arrayBuffer());
    assert.equal(crl.entries.length, 1, 'the revocation made with --config');
  } finally {
    await gw.close();
    await upstream.close();
  }
});
