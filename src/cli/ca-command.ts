/**
 * `portcullis ca` and `portcullis certs`: the private CA for partner client certificates. These
 * commands work on the CA folder directly (not through the admin API): the CA key never has to
 * reach a running gateway, and the gateway only reads the public files (chain.pem, crl.pem).
 * Secrets come from environment variables named on the command line, never from flags.
 *
 * With `--config <portcullis.yaml>`, the CA keeps what it issued and revoked in that config's
 * store, each change attributed to `cli:<login>` and followed by every gateway; without it, in
 * the folder's issued.json as before.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CaError, PrivateCa, type CaStoreAccess, type IssuedRecord } from '../pki/private-ca.js';
import type { Store } from '../store/store.js';
import { action, CliError, table } from './admin-client.js';
import { cliActor, openCliStore } from './store-access.js';

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

/** Opens a CA folder; says on stderr when its key file was encrypted again, or its records moved into the store. */
async function openCa(dir: string, env: NodeJS.ProcessEnv, store: CaStoreAccess | undefined): Promise<PrivateCa> {
  const opened = await PrivateCa.open(dir, env, store);
  if (opened.keyReencrypted) process.stderr.write(`${dir}: the CA key was encrypted again with PBKDF2-HMAC-SHA256 (600000 iterations) and AES-256-CBC\n`);
  if (store && opened.imported > 0) process.stderr.write(`${dir}: ${opened.imported} issued certificate records moved into the store (issued.json is now issued.json.imported)\n`);
  return opened;
}

/** Runs `work` with the store of `--config` (closed afterwards), or none. */
async function withStore<T>(config: string | undefined, work: (access: CaStoreAccess | undefined) => Promise<T>): Promise<T> {
  if (config === undefined) return work(undefined);
  let store: Store;
  try {
    store = await openCliStore(config);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot open the store of ${config}: ${(error as Error).message}`);
  }
  try {
    return await work({ store, actor: cliActor() });
  } finally {
    await store.close();
  }
}

const CONFIG_OPTION = ['--config <file>', "keep the CA's records in this gateway config's store (issuance and revocation reach every gateway)"] as const;

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
    .option(...CONFIG_OPTION)
    .action(
      caAction(async (options: { dir: string; subject: string; keyPassphraseEnv?: string; keyEnv?: string; parentDir?: string; days: string; crlDays: string; crlUrl?: string; config?: string }) => {
        const created = await withStore(options.config, async (store) => {
          const parent = options.parentDir ? await openCa(options.parentDir, process.env, store) : undefined;
          return PrivateCa.init({
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
            store,
          });
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
    .option(...CONFIG_OPTION)
    .action(
      caAction(async (options: { dir: string; config?: string }) => {
        const crl = await withStore(options.config, async (store) => (await openCa(options.dir, process.env, store)).writeCrl(Date.now()));
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
    .option(...CONFIG_OPTION)
    .action(
      caAction(async (options: { dir: string; consumer: string; out: string; csr?: string; outKey?: string; subject?: string; days: string; json?: boolean; config?: string }) => {
        if ((options.csr === undefined) === (options.outKey === undefined)) throw new CliError('give exactly one of --csr or --out-key');
        const csrPem = options.csr === undefined ? undefined : readFileSync(options.csr, 'utf8');
        const validity = days(options.days, '--days');
        const issued = await withStore(options.config, async (store) =>
          (await openCa(options.dir, process.env, store)).issue({ consumerId: options.consumer, csrPem, subject: options.subject, days: validity, now: Date.now() }),
        );
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
    .option(...CONFIG_OPTION)
    .action(
      caAction(async (serial: string, options: { dir: string; json?: boolean; config?: string }) => {
        const record = await withStore(options.config, async (store) => (await openCa(options.dir, process.env, store)).revoke(serial, Date.now()));
        process.stdout.write(options.json ? `${JSON.stringify(record, null, 2)}\n` : table([view(record, Date.now())], COLUMNS));
      }),
    );

  certs
    .command('list')
    .description('every certificate issued, with its expiry')
    .requiredOption('--dir <folder>', 'the CA folder')
    .option('--json', 'print JSON')
    .option(...CONFIG_OPTION)
    .action(
      caAction(async (options: { dir: string; json?: boolean; config?: string }) => {
        let ca: ReturnType<typeof PrivateCa.readPublic>;
        try {
          ca = PrivateCa.readPublic(options.dir);
        } catch {
          throw new CliError(`${options.dir} holds no CA (run \`portcullis ca init --dir ${options.dir}\`)`);
        }
        // Listing needs no key: the records are read from the store, or from issued.json.
        if (ca.inStore && options.config === undefined) throw new CliError(`${options.dir} keeps its records in the store: name the gateway config with --config`);
        const issued: IssuedRecord[] = options.config === undefined ? ca.issued : await withStore(options.config, (store) => PrivateCa.listInStore(options.dir, store!));
        const now = Date.now();
        process.stdout.write(options.json ? `${JSON.stringify(issued, null, 2)}\n` : table(issued.map((record) => view(record, now)), COLUMNS));
      }),
    );
}
