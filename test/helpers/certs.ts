/**
 * Certificates generated in the test: a root CA, an intermediate below it that issues the client
 * certificates, a server certificate for 127.0.0.1/localhost, clients (valid, expired, revoked,
 * one from another CA), and a CRL. Everything is written as PEM files in a fresh folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createCrl, crlToPem, generateKeyPair, issueLeaf, privateKeyToPem, type Signer } from '../../src/pki/issue.js';
import type { x509 } from '../../src/auth/x509.js';

const DAY = 86400000;

export interface ClientFiles {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
  certificate: x509.X509Certificate;
}

export interface TestPki {
  dir: string;
  /** Root + intermediate, PEM bundle: the CAs listeners trust for client certificates. */
  caBundle: string;
  rootCa: string;
  serverCert: string;
  serverKey: string;
  /** Server certificate chain PEM (leaf then intermediate). */
  serverCertPem: string;
  intermediate: Signer;
  root: Signer;
  client: ClientFiles;
  expired: ClientFiles;
  revoked: ClientFiles;
  otherCa: ClientFiles;
  /** A CRL of the intermediate revoking `revoked`, written to crlFile. */
  crlFile: string;
  /** Writes a new CRL of the intermediate to crlFile (and returns its PEM). */
  writeCrl(revokedSerials: string[], options?: { nextUpdate?: Date; file?: string }): Promise<string>;
  issueClient(name: string, options?: { altNames?: Array<{ type: 'dns' | 'url' | 'email' | 'ip'; value: string }>; notBefore?: Date; notAfter?: Date; issuer?: Signer }): Promise<ClientFiles>;
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pki-'));
  const now = Date.now();
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const makeCa = async (subject: string, parent?: Signer): Promise<Signer> => {
    const keys = await generateKeyPair();
    const certificate = await createCa({ subject, keys, notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY), parent });
    return { certificate, privateKey: keys.privateKey };
  };
  const root = await makeCa('CN=Test Root CA, O=Portcullis Tests');
  const intermediate = await makeCa('CN=Test Partner CA, O=Portcullis Tests', root);
  const other = await makeCa('CN=Other CA, O=Elsewhere');

  let counter = 0;
  const issueClient: TestPki['issueClient'] = async (name, options = {}) => {
    const keys = await generateKeyPair();
    const issuer = options.issuer ?? intermediate;
    const certificate = await issueLeaf({
      subject: `CN=${name}, O=Partner`,
      publicKey: keys.publicKey,
      issuer,
      notBefore: options.notBefore ?? new Date(now - DAY),
      notAfter: options.notAfter ?? new Date(now + 365 * DAY),
      usage: 'client',
      altNames: options.altNames,
    });
    const certPem = certificate.toString('pem') + '\n' + (issuer === intermediate ? intermediate.certificate.toString('pem') + '\n' : '');
    const keyPem = await privateKeyToPem(keys.privateKey);
    const id = `${name}-${counter++}`;
    return { cert: write(`${id}.crt`, certPem), key: write(`${id}.key`, keyPem), certPem, keyPem, certificate };
  };

  const serverKeys = await generateKeyPair();
  const server = await issueLeaf({
    subject: 'CN=localhost',
    publicKey: serverKeys.publicKey,
    issuer: intermediate,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 90 * DAY),
    usage: 'server',
    altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }],
  });
  const serverCertPem = `${server.toString('pem')}\n${intermediate.certificate.toString('pem')}\n`;
  const caPem = `${root.certificate.toString('pem')}\n${intermediate.certificate.toString('pem')}\n`;

  const client = await issueClient('acme-payments', { altNames: [{ type: 'url', value: 'spiffe://acme/payments' }] });
  const expired = await issueClient('expired-client', { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
  const revoked = await issueClient('revoked-client');
  const otherCa = await issueClient('stranger', { issuer: other });

  const crlFile = join(dir, 'intermediate.crl.pem');
  const writeCrl: TestPki['writeCrl'] = async (serials, options = {}) => {
    const crl = await createCrl({
      issuer: intermediate,
      revoked: serials.map((serial) => ({ serial, revokedAt: new Date() })),
      // One second later each time, so a newer CRL is never taken for an older one.
      thisUpdate: new Date(Date.now() - DAY + counter++ * 1000),
      nextUpdate: options.nextUpdate ?? new Date(Date.now() + DAY),
      crlNumber: counter,
    });
    const pem = crlToPem(crl);
    writeFileSync(options.file ?? crlFile, pem);
    return pem;
  };
  await writeCrl([revoked.certificate.serialNumber]);

  return {
    dir,
    caBundle: write('client-cas.pem', caPem),
    rootCa: write('root.pem', `${root.certificate.toString('pem')}\n`),
    serverCert: write('server.crt', serverCertPem),
    serverKey: write('server.key', await privateKeyToPem(serverKeys.privateKey)),
    serverCertPem,
    intermediate,
    root,
    client,
    expired,
    revoked,
    otherCa,
    crlFile,
    writeCrl,
    issueClient,
  };
}
