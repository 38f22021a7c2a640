/**
 * `portcullis ca` and `portcullis certs`: the private CA for partner client certificates. These
 * commands work on the CA folder directly (not through the admin API): the CA key never has to
 * reach a running gateway, and the gateway only reads the public files (chain.pem, crl.pem).
 * Secrets come from environment variables named on the command line, never from flags.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CaError, PrivateCa, type IssuedRecord } from '../pki/private-ca.js';
import { action, CliError, table } from './admin-client.js';

const COLUMNS = ['serial', 'consumerId', 'subject', 'notAfter', 'status', 'expiresInDays'];
const DAY_MS = 86400000;

/** CaError is an operator's mistake: printed plainly like the other CLI errors. */
function caAction<A extends unknown[]>(run: (...args: A) => Promise<void>) {
  return action(async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (error instanceof CaError) throw new CliError(error.message);
      throw error;
    }
  });
}

/** Opens a CA folder; says on stderr when its key file was encrypted again with current parameters. */
async function openCa(dir: string, env: NodeJS.ProcessEnv): Promise<PrivateCa> {
  const opened = await PrivateCa.open(dir, env);
  if (opened.keyReencrypted) process.stderr.write(`${dir}: the CA key was encrypted again with PBKDF2-HMAC-SHA256 (600000 iterations) and AES-256-CBC\n`);
  return opened;
}

function days(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 36500) throw new CliError(`${name} must be a whole number of days`);
  return parsed;
}

const view = (record: IssuedRecord, now: number) => ({ ...record, expiresInDays: Math.floor((Date.parse(record.notAfter) - now) / DAY_MS) });

export function registerCaCommands(program: Command): void {
  const ca = program.command('ca').description('the private CA that issues partner client certificates');

  ca.command('init')
    .description('create a root CA, or an intermediate with --parent-dir')
    .requiredOption('--dir <folder>', 'folder for the CA files')
    .requiredOption('--subject <dn>', 'CA subject, e.g. "CN=Portcullis Partner CA, O=Example Bank"')
    .option('--key-passphrase-env <name>', 'generate the key, stored encrypted with the passphrase in this environment variable')
    .option('--key-env <name>', 'use the PEM EC P-256 key in this environment variable (nothing written)')
    .option('--parent-dir <folder>', 'sign as an intermediate of this CA (its key from its own environment variables)')
    .option('--days <days>', 'validity', '3650')
    .option('--crl-days <days>', 'validity of each CRL (regenerate with `ca crl` before it lapses)', '7')
    .option('--crl-url <url>', 'where partners fetch the CRL, written into issued certificates')
    .action(
      caAction(async (options: { dir: string; subject: string; keyPassphraseEnv?: string; keyEnv?: string; parentDir?: string; days: string; crlDays: string; crlUrl?: string }) => {
        const parent = options.parentDir ? await openCa(options.parentDir, process.env) : undefined;
        const created = await PrivateCa.init({
          dir: options.dir,
          subject: options.subject,
          days: days(options.days, '--days'),
          crlDays: days(options.crlDays, '--crl-days'),
          crlUrl: options.crlUrl,
          keyPassphraseEnv: options.keyPassphraseEnv,
          keyEnv: options.keyEnv,
          parent,
          env: process.env,
          now: Date.now(),
        });
        process.stdout.write(
          `CA created in ${options.dir}: ${created.certificate.subject} (until ${created.certificate.notAfter.toISOString()})\n` +
            `Trust it on a listener: tls.clientCertificates.caFiles: [${options.dir}/chain.pem], crl.files: [${options.dir}/crl.pem]\n` +
            `Map its certificates to consumers: auth-mtls consumerUri.issuers: ["${created.certificate.subject}"]\n`,
        );
      }),
    );

  ca.command('crl')
    .description('sign a fresh CRL (run daily, e.g. from cron, so it never passes nextUpdate)')
    .requiredOption('--dir <folder>', 'the CA folder')
    .action(
      caAction(async (options: { dir: string }) => {
        const crl = await (await openCa(options.dir, process.env)).writeCrl(Date.now());
        process.stdout.write(`CRL written: ${crl.entries.length} revoked, next update ${crl.nextUpdate?.toISOString()}\n`);
      }),
    );

  const certs = program.command('certs').description('client certificates issued by the private CA');

  certs
    .command('issue')
    .description('issue a client certificate for a consumer, from a CSR or with a new key pair')
    .requiredOption('--dir <folder>', 'the CA folder')
    .requiredOption('--consumer <id>', 'the consumer the certificate authenticates as')
    .requiredOption('--out <file>', 'where to write the certificate chain (PEM)')
    .option('--csr <file>', "the partner's PKCS#10 request (PEM): the partner keeps its key")
    .option('--out-key <file>', 'without --csr: where to write the new private key (mode 0600; hand it over securely)')
    .option('--subject <dn>', 'subject (default: the CSR subject, or CN=<consumer>)')
    .option('--days <days>', 'validity (at most the CA validity)', '365')
    .option('--json', 'print JSON')
    .action(
      caAction(async (options: { dir: string; consumer: string; out: string; csr?: string; outKey?: string; subject?: string; days: string; json?: boolean }) => {
        if ((options.csr === undefined) === (options.outKey === undefined)) throw new CliError('give exactly one of --csr or --out-key');
        const authority = await openCa(options.dir, process.env);
        const csrPem = options.csr === undefined ? undefined : readFileSync(options.csr, 'utf8');
        const issued = await authority.issue({ consumerId: options.consumer, csrPem, subject: options.subject, days: days(options.days, '--days'), now: Date.now() });
        writeFileSync(options.out, issued.certificatePem);
        if (issued.keyPem !== undefined) writeFileSync(options.outKey!, issued.keyPem, { mode: 0o600 });
        const now = Date.now();
        process.stdout.write(options.json ? `${JSON.stringify(issued.record, null, 2)}\n` : table([view(issued.record, now)], COLUMNS) + `\nCertificate written to ${options.out}${issued.keyPem ? `, key to ${options.outKey}` : ''}.\n`);
      }),
    );

  certs
    .command('revoke')
    .description('revoke a certificate: the CRL is regenerated; gateways refuse it at their next CRL refresh')
    .requiredOption('--dir <folder>', 'the CA folder')
    .argument('<serial>', 'serial number (hex, as `certs list` shows it)')
    .option('--json', 'print JSON')
    .action(
      caAction(async (serial: string, options: { dir: string; json?: boolean }) => {
        const record = await (await openCa(options.dir, process.env)).revoke(serial, Date.now());
        process.stdout.write(options.json ? `${JSON.stringify(record, null, 2)}\n` : table([view(record, Date.now())], COLUMNS));
      }),
    );

  certs
    .command('list')
    .description('every certificate issued, with its expiry')
    .requiredOption('--dir <folder>', 'the CA folder')
    .option('--json', 'print JSON')
    .action(
      caAction(async (options: { dir: string; json?: boolean }) => {
        let issued: IssuedRecord[];
        try {
          issued = PrivateCa.readPublic(options.dir).issued;
        } catch {
          throw new CliError(`${options.dir} holds no CA (run \`portcullis ca init --dir ${options.dir}\`)`);
        }
        const now = Date.now();
        process.stdout.write(options.json ? `${JSON.stringify(issued, null, 2)}\n` : table(issued.map((record) => view(record, now)), COLUMNS));
      }),
    );
}
