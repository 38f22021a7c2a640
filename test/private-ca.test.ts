/**
 * The partner journey with Portcullis's own CA, end to end through the real CLI: `ca init`,
 * `certs issue --consumer` (generated key and from a CSR), a call to an mTLS route with curl,
 * `certs revoke`, the CRL served over HTTP, and the partner refused without a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { generateKeyPair, issueLeaf, leafKeyUsage } from '../src/pki/issue.js';
import { keyProtection } from '../src/pki/pkcs8-encryption.js';
import { x509 } from '../src/auth/x509.js';
import { runCliAsync } from './helpers/cli.js';
import { baseConfig, httpRequest, sleep, startGateway, startUpstream, type TestUpstream } from './helpers/index.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { run } from './helpers/tls.js';

const PASSPHRASE_ENV = { PTC_CA_PASSPHRASE: 'correct horse battery staple 42' };
const SUBJECT = 'CN=Example Bank Partner CA, O=Example Bank';

let upstream: TestUpstream;
let pki: TestPki;
let work: string;

before(async () => {
  upstream = await startUpstream();
  pki = await makeTestPki();
  work = mkdtempSync(join(tmpdir(), 'portcullis-ca-'));
});
after(() => upstream.close());

async function cli(args: string[], env: Record<string, string> = PASSPHRASE_ENV) {
  const result = await runCliAsync(args, env);
  return result;
}

test('a partner is issued a certificate, calls an mTLS route, is revoked, and is refused', async () => {
  const dir = join(work, 'ca');
  const init = await cli(['ca', 'init', '--dir', dir, '--subject', SUBJECT, '--key-passphrase-env', 'PTC_CA_PASSPHRASE', '--crl-url', 'http://gateway.example/pki/ca.crl']);
  assert.equal(init.status, 0, init.stderr);
  assert.match(readFileSync(join(dir, 'ca.key.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/, 'the CA key is stored encrypted');
  assert.doesNotMatch(init.stdout + init.stderr, /correct horse/);

  const issued = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'acme', '--out', join(work, 'acme.crt'), '--out-key', join(work, 'acme.key'), '--json']);
  assert.equal(issued.status, 0, issued.stderr);
  const record = JSON.parse(issued.stdout) as { serial: string; consumerId: string; status: string };
  assert.equal(record.consumerId, 'acme');
  const certificate = new x509.X509Certificate(readFileSync(join(work, 'acme.crt'), 'utf8'));
  assert.ok(certificate.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON().some((name) => name.value === 'urn:portcullis:consumer:acme'));
  assert.ok(certificate.getExtension(x509.CRLDistributionPointsExtension), 'carries the CRL URL');

  const gw = await startGateway(
    baseConfig([upstream.url], {
      listeners: [
        {
          name: 'partners',
          host: '127.0.0.1',
          port: 0,
          tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode: 'optional', caFiles: [join(dir, 'chain.pem')], crl: { files: [join(dir, 'crl.pem')], refreshSeconds: 1 } } },
        },
        { name: 'public-http', host: '127.0.0.1', port: 0 },
      ],
      pki: { caDir: dir },
      policies: { 'auth-mtls': { consumerUri: { issuers: [SUBJECT], scopes: ['payments:write'] } } },
    }),
  );
  try {
    const curl = (extra: string[]) => run('curl', ['-sS', '--cacert', pki.rootCa, ...extra, `${gw.url}/v1/payments`]);
    const ok = await curl(['--cert', join(work, 'acme.crt'), '--key', join(work, 'acme.key')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).headers['x-consumer-id'], 'acme');

    const revoked = await cli(['certs', 'revoke', '--dir', dir, record.serial, '--json']);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal((JSON.parse(revoked.stdout) as { status: string }).status, 'revoked');

    let refusal = '';
    for (let i = 0; i < 40 && !refusal.includes('auth.client_cert_revoked'); i++) {
      refusal = (await curl(['--cert', join(work, 'acme.crt'), '--key', join(work, 'acme.key')])).stdout;
      if (!refusal.includes('auth.client_cert_revoked')) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(JSON.parse(refusal).code, 'auth.client_cert_revoked');

    // Partners fetch the CRL over plain HTTP, without any credential.
    const served = await fetch(`${gw.gateway.url('public-http')}/pki/ca.crl`);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get('content-type'), 'application/pkix-crl');
    const crl = new x509.X509Crl(await served.arrayBuffer());
    assert.equal(crl.issuer, SUBJECT);
    assert.ok(crl.entries.some((entry) => entry.serialNumber.toLowerCase().replace(/^0+/, '') === record.serial));
    assert.equal((await httpRequest(`${gw.gateway.url('public-http')}/pki/ca.crl`, { method: 'HEAD' })).status, 200);

    // RFC 7468 §6 label, RFC 5280 §5.2.1 and §5.2.3 extensions: OpenSSL reads and verifies it.
    const pem = readFileSync(join(dir, 'crl.pem'), 'utf8');
    assert.match(pem, /^-----BEGIN X509 CRL-----\n[\s\S]+\n-----END X509 CRL-----\n$/);
    const text = await run('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-noout', '-text', '-CAfile', join(dir, 'ca.pem')]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr + text.stdout, /verify OK/);
    assert.match(text.stdout, /X509v3 CRL Number:\s+(\d+)/);
    assert.match(text.stdout, /X509v3 Authority Key Identifier:/);
    assert.ok(text.stdout.toLowerCase().includes(`serial number: ${record.serial.toUpperCase().padStart(record.serial.length + (record.serial.length % 2), '0')}`.toLowerCase()), text.stdout);
    const number = Number(/X509v3 CRL Number:\s+(\d+)/.exec(text.stdout)![1]);
    const der = join(work, 'served.crl');
    writeFileSync(der, Buffer.from(await (await fetch(`${gw.gateway.url('public-http')}/pki/ca.crl`)).arrayBuffer()));
    assert.equal((await run('openssl', ['crl', '-inform', 'DER', '-in', der, '-noout', '-text'])).code, 0, 'the served DER CRL reads too');
    const crlNumber = async () => {
      const printed = await run('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-noout', '-crlnumber']);
      assert.equal(printed.code, 0, printed.stderr);
      return Number.parseInt(/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(printed.stdout)![1]!, 16);
    };
    assert.equal(await crlNumber(), number);
    assert.equal((await cli(['ca', 'crl', '--dir', dir])).status, 0);
    const second = await crlNumber();
    assert.ok(second > number, 'every new CRL has a higher number');
    rmSync(join(dir, 'crl.pem'));
    assert.equal((await cli(['ca', 'crl', '--dir', dir])).status, 0);
    assert.ok((await crlNumber()) > second, 'also when crl.pem was lost');

    const list = await cli(['certs', 'list', '--dir', dir]);
    assert.match(list.stdout, new RegExp(`${record.serial}\\s+acme\\s+CN=acme\\s+\\S+\\s+revoked\\s+36[45]`));

    const findings = gw.gateway.checkCertificateExpiry();
    assert.ok(findings.some((finding) => finding.kind === 'ca' && finding.subject === SUBJECT));
  } finally {
    await gw.close();
  }
});

test('issues from a CSR (the partner keeps its key) and records it for the expiry watch', async () => {
  const dir = join(work, 'ca-csr');
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=CSR CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  const csr = join(work, 'globex.csr');
  const made = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/O=Globex/CN=globex-prod', '-keyout', join(work, 'globex.key'), '-out', csr]);
  assert.equal(made.code, 0, made.stderr);
  const issued = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'globex', '--csr', csr, '--out', join(work, 'globex.crt'), '--days', '20', '--json']);
  assert.equal(issued.status, 0, issued.stderr);
  // RFC 4514 text in the certificate's own order, as `openssl x509 -noout -subject` shows it.
  assert.equal((JSON.parse(issued.stdout) as { subject: string }).subject, 'O=Globex, CN=globex-prod');
  const verify = await run('openssl', ['verify', '-CAfile', join(dir, 'chain.pem'), join(work, 'globex.crt')]);
  assert.match(verify.stdout, /OK/);
  const matches = await run('openssl', ['x509', '-noout', '-pubkey', '-in', join(work, 'globex.crt')]);
  const keyPub = await run('openssl', ['pkey', '-pubout', '-in', join(work, 'globex.key')]);
  assert.equal(matches.stdout, keyPub.stdout, 'the certificate carries the CSR key');

  const gw = await startGateway(baseConfig([upstream.url], { pki: { caDir: dir }, certificateExpiry: { warningDays: 30 } }));
  try {
    const warning = await gw.logs.waitFor((r) => r.event === 'certificate.expiring' && r.kind === 'issued');
    assert.equal(warning.name, 'globex');
  } finally {
    await gw.close();
  }
});

test('makes an intermediate below a root, and takes the CA key from an environment variable', async () => {
  const root = join(work, 'root');
  const intermediate = join(work, 'intermediate');
  const key = await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const env = { ...PASSPHRASE_ENV, PTC_ROOT_KEY: key.stdout };
  const made = await cli(['ca', 'init', '--dir', root, '--subject', 'CN=Offline Root', '--key-env', 'PTC_ROOT_KEY'], env);
  assert.equal(made.status, 0, made.stderr);
  assert.equal(existsSync(join(root, 'ca.key.pem')), false, 'a key from the environment is never written');
  const sub = await cli(['ca', 'init', '--dir', intermediate, '--subject', 'CN=Issuing CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE', '--parent-dir', root], env);
  assert.equal(sub.status, 0, sub.stderr);
  assert.equal((await cli(['certs', 'issue', '--dir', intermediate, '--consumer', 'initech', '--out', join(work, 'initech.crt'), '--out-key', join(work, 'initech.key')], env)).status, 0);
  const chain = readFileSync(join(work, 'initech.crt'), 'utf8');
  assert.equal(chain.match(/BEGIN CERTIFICATE/g)!.length, 2, 'the leaf travels with its intermediate');
  const verify = await run('openssl', ['verify', '-CAfile', join(root, 'ca.pem'), '-untrusted', join(intermediate, 'ca.pem'), join(work, 'initech.crt')]);
  assert.match(verify.stdout, /OK/, verify.stderr);
});

test('refuses to open the CA with a wrong passphrase, and never prints secrets', async () => {
  const dir = join(work, 'ca-wrong');
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=Wrong', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  const wrong = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'x', '--out', join(work, 'x.crt'), '--out-key', join(work, 'x.key')], { PTC_CA_PASSPHRASE: 'not the passphrase at all' });
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /wrong passphrase in PTC_CA_PASSPHRASE/);
  assert.doesNotMatch(wrong.stderr, /not the passphrase/);
  const missing = await cli(['ca', 'init', '--dir', join(work, 'ca-none'), '--subject', 'CN=None', '--key-passphrase-env', 'PTC_UNSET_VARIABLE']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /PTC_UNSET_VARIABLE is not set/);
});

test('certs commands wait for the CA folder lock, so two at once cannot lose a record or undo a revocation', async () => {
  const dir = join(work, 'busy-ca');
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=Busy CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  const first = JSON.parse((await cli(['certs', 'issue', '--dir', dir, '--consumer', 'c0', '--out', join(work, 'c0.crt'), '--out-key', join(work, 'c0.key'), '--json'])).stdout) as { serial: string };
  const records = () => JSON.parse(readFileSync(join(dir, 'issued.json'), 'utf8')) as Array<{ serial: string; consumerId: string; status: string }>;
  // Another command holds the lock: an issue and a revocation must wait for it.
  writeFileSync(join(dir, '.lock'), '');
  const waiting = Promise.all([
    cli(['certs', 'issue', '--dir', dir, '--consumer', 'c1', '--out', join(work, 'c1.crt'), '--out-key', join(work, 'c1.key')]),
    cli(['certs', 'revoke', '--dir', dir, first.serial]),
  ]);
  await sleep(2500);
  assert.deepEqual(records().map((record) => [record.consumerId, record.status]), [['c0', 'active']], 'nothing written while the lock is held');
  rmSync(join(dir, '.lock'));
  for (const result of await waiting) assert.equal(result.status, 0, result.stderr);
  const issued = records();
  assert.deepEqual(issued.map((record) => record.consumerId).sort(), ['c0', 'c1']);
  assert.equal(issued.find((record) => record.serial === first.serial)?.status, 'revoked');
  const crl = new x509.X509Crl(readFileSync(join(dir, 'crl.pem'), 'utf8'));
  assert.ok(crl.entries.some((entry) => entry.serialNumber.replace(/^0+/, '').toLowerCase() === first.serial.replace(/^0+/, '')), 'the CRL lists the revocation');
  assert.equal(existsSync(join(dir, '.lock')), false, 'the lock is released');
});

test('issues EC and Ed25519 certificates for digitalSignature only, RSA servers with keyEncipherment, and refuses an X25519 CSR', async () => {
  const dir = join(work, 'ca-usage');
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=Usage CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  // Key usage as OpenSSL reads it from the certificate (RFC 5280 §4.2.1.3).
  const usageOf = async (file: string) => (await run('openssl', ['x509', '-noout', '-ext', 'keyUsage', '-in', file])).stdout.split('\n').slice(1).join(' ').trim();
  const issueFromCsr = async (name: string, keyArgs: string[]) => {
    const made = await run('openssl', ['req', '-new', ...keyArgs, '-nodes', '-subj', `/CN=${name}`, '-keyout', join(work, `${name}.key`), '-out', join(work, `${name}.csr`)]);
    assert.equal(made.code, 0, made.stderr);
    return cli(['certs', 'issue', '--dir', dir, '--consumer', name, '--csr', join(work, `${name}.csr`), '--out', join(work, `${name}.crt`)]);
  };
  // EC keys cannot encipher keys (RFC 5480 §3, RFC 8813 §3): digitalSignature only.
  assert.equal((await issueFromCsr('ec-client', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'])).status, 0);
  assert.equal(await usageOf(join(work, 'ec-client.crt')), 'Digital Signature');
  const generated = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'generated', '--out', join(work, 'generated.crt'), '--out-key', join(work, 'generated.key')]);
  assert.equal(generated.status, 0, generated.stderr);
  assert.equal(await usageOf(join(work, 'generated.crt')), 'Digital Signature', 'a generated (P-256) key too');
  assert.equal((await issueFromCsr('ed-client', ['-newkey', 'ed25519'])).status, 0);
  assert.equal(await usageOf(join(work, 'ed-client.crt')), 'Digital Signature', 'Ed25519 (RFC 8410 §5)');
  assert.equal((await issueFromCsr('rsa-client', ['-newkey', 'rsa:2048'])).status, 0);
  assert.equal(await usageOf(join(work, 'rsa-client.crt')), 'Digital Signature', 'an RSA client signs only');
  // An X25519 key cannot sign its own CSR, so no CSR can carry one; the rule refuses it directly.
  assert.throws(() => leafKeyUsage('X25519', 'client'), /cannot sign/);

  // Server certificates (the test PKI) and CA certificates, by the same rule.
  const ec = await generateKeyPair();
  const server = await issueLeaf({ subject: 'CN=localhost', publicKey: ec.publicKey, issuer: pki.intermediate, notBefore: new Date(), notAfter: new Date(Date.now() + 86400000), usage: 'server' });
  assert.equal(server.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.digitalSignature, 'an EC server certificate');
  const rsa = await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const rsaServer = await issueLeaf({ subject: 'CN=rsa', publicKey: rsa.publicKey, issuer: pki.intermediate, notBefore: new Date(), notAfter: new Date(Date.now() + 86400000), usage: 'server' });
  assert.equal(rsaServer.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, 'an RSA server certificate may do RSA key transport');
  const caUsage = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8')).getExtension(x509.KeyUsagesExtension)!.usages;
  assert.equal(caUsage & x509.KeyUsageFlags.keyEncipherment, 0, 'the CA claims no keyEncipherment');
  assert.ok(caUsage & x509.KeyUsageFlags.keyCertSign);
});

test('writes the CA key as PBES2 with PBKDF2-HMAC-SHA256 at 600000 iterations, which openssl reads', async () => {
  const dir = join(work, 'ca-kdf');
  const init = await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=KDF CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE']);
  assert.equal(init.status, 0, init.stderr);
  const keyFile = join(dir, 'ca.key.pem');
  // The parameters as written in the file (parsed, not assumed).
  assert.deepEqual(keyProtection(readFileSync(keyFile, 'utf8')), { kdf: 'pbkdf2', prf: 'hmacWithSHA256', iterations: 600000, saltBytes: 16, cipher: 'aes-256-cbc' });
  const parsed = await run('openssl', ['asn1parse', '-in', keyFile]);
  assert.match(parsed.stdout, /:PBES2[\s\S]*:PBKDF2[\s\S]*INTEGER\s+:0927C0[\s\S]*:hmacWithSHA256[\s\S]*:aes-256-cbc/, parsed.stdout);
  // OpenSSL decrypts it, and it is the key of the CA certificate.
  const opened = await run('openssl', ['pkey', '-in', keyFile, '-passin', `pass:${PASSPHRASE_ENV.PTC_CA_PASSPHRASE}`, '-pubout']);
  assert.equal(opened.code, 0, opened.stderr);
  assert.equal(opened.stdout, (await run('openssl', ['x509', '-noout', '-pubkey', '-in', join(dir, 'ca.pem')])).stdout);
  assert.equal(createPrivateKey({ key: readFileSync(keyFile, 'utf8'), passphrase: PASSPHRASE_ENV.PTC_CA_PASSPHRASE }).asymmetricKeyType, 'ec');
  assert.notEqual((await run('openssl', ['pkey', '-in', keyFile, '-passin', 'pass:wrong passphrase here', '-noout'])).code, 0);
});

test('opens an old CA key (PBKDF2 at 2048 iterations) and encrypts it again with current parameters', async () => {
  const dir = join(work, 'ca-old-key');
  assert.equal((await cli(['ca', 'init', '--dir', dir, '--subject', 'CN=Old CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'])).status, 0);
  const keyFile = join(dir, 'ca.key.pem');
  const passphrase = PASSPHRASE_ENV.PTC_CA_PASSPHRASE;
  // What earlier versions wrote: Node's own export (PBES2, PBKDF2-HMAC-SHA256, 2048 iterations).
  const old = createPrivateKey({ key: readFileSync(keyFile, 'utf8'), passphrase }).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
  writeFileSync(keyFile, old);
  assert.equal((keyProtection(old) as { iterations: number }).iterations, 2048);

  const issued = await cli(['certs', 'issue', '--dir', dir, '--consumer', 'legacy', '--out', join(work, 'legacy.crt'), '--out-key', join(work, 'legacy.key')]);
  assert.equal(issued.status, 0, issued.stderr);
  assert.match(issued.stderr, /the CA key was encrypted again with PBKDF2-HMAC-SHA256 \(600000 iterations\)/);
  const verify = await run('openssl', ['verify', '-CAfile', join(dir, 'chain.pem'), join(work, 'legacy.crt')]);
  assert.match(verify.stdout, /OK/, 'the old key signed');
  assert.deepEqual(keyProtection(readFileSync(keyFile, 'utf8')), { kdf: 'pbkdf2', prf: 'hmacWithSHA256', iterations: 600000, saltBytes: 16, cipher: 'aes-256-cbc' });
  assert.equal(createPrivateKey({ key: readFileSync(keyFile, 'utf8'), passphrase }).export({ format: 'der', type: 'pkcs8' }).equals(createPrivateKey({ key: old, passphrase }).export({ format: 'der', type: 'pkcs8' })), true, 'the same key');
  const again = await cli(['ca', 'crl', '--dir', dir]);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /encrypted again/, 'a current key is left as it is');
});
