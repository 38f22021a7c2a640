import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber, id_ce_deltaCRLIndicator, id_ce_issuingDistributionPoint, id_ce_certificateIssuer, IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { createCa, createCrl, crlToPem, generateKeyPair, randomSerial, type Signer } from './issue.js';
import { RevocationChecker } from './revocation.js';
import { Outbound } from '../outbound/index.js';
import { SIGNING_ALGORITHM, x509 } from '../auth/x509.js';

const DAY = 86400000;
const REVOKED = '0badc0de';

async function makeCa(subject: string, usage = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign): Promise<Signer> {
  const keys = await generateKeyPair();
  const now = Date.now();
  if (usage === (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) {
    return { certificate: await createCa({ subject, keys, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY) }), privateKey: keys.privateKey };
  }
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    keys: keys as never,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(usage, true)],
  });
  return { certificate, privateKey: keys.privateKey };
}

/** A CRL built by the library directly, so each test can give it what our own builder never writes. */
async function rawCrl(ca: Signer, options: { nextUpdate?: Date | undefined; extensions?: x509.Extension[]; entryExtensions?: x509.Extension[] }): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subject,
    thisUpdate: new Date(Date.now() - 1000),
    ...(options.nextUpdate === undefined ? {} : { nextUpdate: options.nextUpdate }),
    entries: [{ serialNumber: REVOKED, revocationDate: new Date(Date.now() - 2000), ...(options.entryExtensions ? { extensions: options.entryExtensions } : {}) }],
    extensions: [new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(7))), ...(options.extensions ?? [])],
    signingKey: ca.privateKey as never,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return crlToPem(crl);
}

async function load(ca: Signer, pem: string) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-crl-'));
  const file = join(dir, 'ca.crl.pem');
  writeFileSync(file, pem);
  const logs = new LogCapture();
  const checker = new RevocationChecker({ files: [file], urls: [], refreshSeconds: 300, whenUnavailable: 'fail-closed' }, [ca.certificate], {
    logger: createLogger({ level: 'info', redactHeaders: [] }, logs),
    clock: new ManualClock(Date.now()),
    listener: 'test',
    outbound: new Outbound(),
  });
  await checker.refresh();
  const failure = logs.records.find((record) => record.event === 'crl.refresh_failed');
  return { status: checker.check(ca.certificate.subject, REVOKED), reason: failure === undefined ? undefined : String(failure.reason) };
}

test('loads a complete CRL with a nextUpdate from a CA allowed to sign CRLs: the listed serial is revoked', async () => {
  const ca = await makeCa('CN=Good CA');
  assert.deepEqual(await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY) })), { status: 'revoked', reason: undefined });
  const ours = await createCrl({ issuer: ca, revoked: [{ serial: REVOKED, revokedAt: new Date() }], thisUpdate: new Date(), nextUpdate: new Date(Date.now() + DAY), crlNumber: 1 });
  assert.deepEqual(await load(ca, crlToPem(ours)), { status: 'revoked', reason: undefined }, 'our own CRLs, AKI and CRL Number included');
});

test('refuses a CRL without nextUpdate: the status stays unknown (RFC 5280 §5.1.2.5)', async () => {
  const ca = await makeCa('CN=No Next Update CA');
  const { status, reason } = await load(ca, await rawCrl(ca, { nextUpdate: undefined }));
  assert.equal(status, 'unknown');
  assert.match(reason!, /no nextUpdate/);
});

test('refuses a CRL signed by a CA certificate without the cRLSign key usage (RFC 5280 §4.2.1.3)', async () => {
  const ca = await makeCa('CN=Cert Only CA', x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature);
  const { status, reason } = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY) }));
  assert.equal(status, 'unknown');
  assert.match(reason!, /cRLSign/);
});

test('refuses a delta CRL (RFC 5280 §5.2.4)', async () => {
  const ca = await makeCa('CN=Delta CA');
  const delta = new x509.Extension(id_ce_deltaCRLIndicator, true, AsnConvert.serialize(new CRLNumber(6)));
  const { status, reason } = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY), extensions: [delta] }));
  assert.equal(status, 'unknown');
  assert.match(reason!, /delta CRL/);
});

test('refuses a CRL with a critical extension it cannot process, or an entry with one (RFC 5280 §5.2, §5.3)', async () => {
  const ca = await makeCa('CN=Critical CA');
  const scope = new x509.Extension(id_ce_issuingDistributionPoint, true, AsnConvert.serialize(new IssuingDistributionPoint({ onlyContainsUserCerts: true })));
  const crlLevel = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY), extensions: [scope] }));
  assert.equal(crlLevel.status, 'unknown');
  assert.match(crlLevel.reason!, /critical extension 2\.5\.29\.28/);
  const unknown = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY), extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]))] }));
  assert.equal(unknown.status, 'unknown');
  const issuerName = new x509.GeneralNames([{ type: 'dn', value: 'CN=Someone Else' }]);
  const entryLevel = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY), entryExtensions: [new x509.Extension(id_ce_certificateIssuer, true, issuerName.rawData)] }));
  assert.equal(entryLevel.status, 'unknown');
  assert.match(entryLevel.reason!, /entry with a critical extension 2\.5\.29\.29/);
  // The same extensions, not critical, do not stop the CRL from being used.
  const lenient = await load(ca, await rawCrl(ca, { nextUpdate: new Date(Date.now() + DAY), extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', false, new Uint8Array([0x05, 0x00]))] }));
  assert.equal(lenient.status, 'revoked');
});
