/**
 * `npm run bench:testssl`: a full testssl.sh run (Debian's `testssl`, 3.0.8) against one HTTPS
 * listener of a gateway on 127.0.0.1, and a summary of its findings. Long (minutes), so not part
 * of `npm test`. It passes when no finding is rated MEDIUM or above, except the chain of trust of
 * the test CA, which testssl cannot know.
 *
 * The listener is set up as documented for production: an ECDSA P-256 certificate with a SAN,
 * 90 days of validity and an OCSP URL (testssl rates a missing SAN, fewer than 30 days or no
 * CRL/OCSP URI as high), served with its issuer, OCSP stapling from a local `openssl ocsp`
 * responder, defaults for everything else. testssl only ever targets 127.0.0.1 here.
 *
 * TESTSSL_OUT: folder for testssl's JSON (default: a temporary folder).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, formatIssue } from '../src/config/loader.js';
import { Gateway } from '../src/server/gateway.js';
import { createCa, generateKeyPair, issueLeaf, privateKeyToPem, randomSerial } from '../src/pki/issue.js';
import { startOcspResponder } from '../test/helpers/ocsp.js';

const DAY = 86400000;
const SEVERITIES = ['OK', 'INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
/** What testssl cannot judge about a test CA: expected, and not a finding about the gateway. */
const EXPECTED = /chain_?of_?trust/i;

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-testssl-'));
  const out = process.env.TESTSSL_OUT ?? dir;
  const now = Date.now();
  const write = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  const caKeys = await generateKeyPair();
  const ca = await createCa({ subject: 'CN=Portcullis testssl CA', keys: caKeys, notBefore: new Date(now - DAY), notAfter: new Date(now + 365 * DAY) });
  const caFile = write('ca.pem', ca.toString('pem'));
  const caKeyFile = write('ca.key', await privateKeyToPem(caKeys.privateKey));
  const serial = randomSerial();
  const responder = await startOcspResponder({ caCert: caFile, signerCert: caFile, signerKey: caKeyFile, entries: [{ serial, notAfter: new Date(now + 90 * DAY), subject: '/CN=localhost' }], validMinutes: 60 });
  const serverKeys = await generateKeyPair();
  const server = await issueLeaf({
    subject: 'CN=localhost',
    publicKey: serverKeys.publicKey,
    issuer: { certificate: ca, privateKey: caKeys.privateKey },
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 90 * DAY),
    usage: 'server',
    serial,
    ocspUrl: responder.url,
    altNames: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }],
  });
  const certFile = write('server.crt', `${server.toString('pem')}\n${ca.toString('pem')}\n`);
  const keyFile = write('server.key', await privateKeyToPem(serverKeys.privateKey));

  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const loaded = validateConfig(
    {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile, keyFile, ocspStapling: { enabled: true } } }],
      admin: { host: '127.0.0.1', port: 0 },
      logging: { level: 'warn' },
      upstreams: { backend: { targets: [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`] } },
      routes: [{ name: 'all', methods: ['GET', 'HEAD', 'POST'], path: '/*', upstream: 'backend' }],
    },
    {},
  );
  if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
  const gateway = await Gateway.start({ config: loaded.config, logDestination: { write: () => true } as never });
  const port = new URL(gateway.url()).port;
  const jsonFile = join(out, `testssl-${port}.json`);
  try {
    process.stdout.write(`testssl against https://127.0.0.1:${port}/ (this takes minutes)\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn('testssl', ['--quiet', '--color', '0', '--warnings', 'off', '--jsonfile', jsonFile, `https://127.0.0.1:${port}/`], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (exit) => resolve(exit ?? 1));
    });
    const findings = JSON.parse(readFileSync(jsonFile, 'utf8')) as Finding[];
    const rank = (severity: string) => SEVERITIES.indexOf(severity);
    const serious = findings.filter((finding) => rank(finding.severity) >= rank('MEDIUM'));
    const unexpected = serious.filter((finding) => !EXPECTED.test(finding.id));
    const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, findings.filter((finding) => finding.severity === severity).length]));
    process.stdout.write(`\ntestssl exit code ${code}; findings by severity: ${JSON.stringify(counts)}\n`);
    for (const finding of serious) process.stdout.write(`${EXPECTED.test(finding.id) ? 'expected' : 'FINDING '} ${finding.severity} ${finding.id}: ${finding.finding}\n`);
    const notable = /^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|P?FS_ECDHE_curves|DH_groups|secure_renego|secure_client_renego|sessionresumption_ticket|sessionresumption_ID|TLS_session_ticket|OCSP_stapling|cert_ocspURL|cert_crlDistributionPoints|cert_subjectAltName|cert_expirationStatus|HSTS_time|cert_keySize|cert_signatureAlgorithm)$/;
    process.stdout.write('\nnotable checks:\n');
    for (const finding of findings.filter((item) => notable.test(item.id))) process.stdout.write(`  ${finding.severity.padEnd(8)} ${finding.id}: ${finding.finding}\n`);
    process.stdout.write(`\nJSON: ${jsonFile}\n${unexpected.length === 0 ? 'PASS: nothing rated MEDIUM or above but the test CA chain of trust' : `FAIL: ${unexpected.length} finding(s) rated MEDIUM or above`}\n`);
    process.exitCode = unexpected.length === 0 ? 0 : 1;
  } finally {
    await gateway.close(1000);
    await responder.close();
    upstream.close();
  }
}

await main();
