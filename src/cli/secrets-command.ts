/**
 * `portcullis secrets …`: the vault's secrets through the admin API (docs/vault.md). A value is
 * read from stdin or `--file`, never from the command line (arguments show in process listings and
 * shell history); it is never printed except by `reveal`, which needs `credentials:reveal`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const COLUMNS = ['name', 'currentVersion', 'versions', 'updatedAt', 'description'];

/** Everything on stdin (a pipe or a redirected file); refused when stdin is a terminal, where a typed secret would echo. */
async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new CliError('give the value on stdin (portcullis secrets set NAME < file) or with --file: never as an argument');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The value to store: a file's content or stdin, without the one trailing newline `echo` and editors add. */
export async function readValue(file: string | undefined): Promise<string> {
  const bytes = file === undefined ? await readStdin() : await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new CliError('the value is empty');
  return text;
}

const name = (value: string) => encodeURIComponent(value);

export function registerSecretsCommand(program: Command): void {
  const secrets = program.command('secrets').description("the vault's secrets: set from stdin or a file, list, versions, promote, delete, reveal");

  addAdminOptions(secrets.command('set <name>').description('store a new version of a secret, read from stdin or --file (never an argument); promoted unless --stage'))
    .option('--file <path>', 'read the value from this file instead of stdin')
    .option('--stage', 'store without promoting (promote later with `secrets promote`)')
    .option('--description <text>', 'what the secret is for')
    .action(
      action(async (secretName: string, options: AdminOptions & { file?: string; stage?: boolean; description?: string }) => {
        const value = await readValue(options.file);
        const answer = (await adminCall(options, 'POST', `/v1/secrets/${name(secretName)}/versions`, { value, stage: options.stage === true, ...(options.description === undefined ? {} : { description: options.description }) })) as { version: number; promoted: boolean };
        print(options, answer, () => `${secretName}: version ${answer.version} stored${answer.promoted ? ' and promoted' : ' (staged: not served until promoted)'}\n`);
      }),
    );

  addAdminOptions(secrets.command('list').description('list secrets: names and versions, never values')).action(
    action(async (options: AdminOptions) => {
      const items = await adminList<Record<string, unknown>>(options, '/v1/secrets');
      print(options, items, () => table(items, COLUMNS));
    }),
  );

  addAdminOptions(secrets.command('versions <name>').description('the versions of a secret: which is promoted, by whom, under which KEK')).action(
    action(async (secretName: string, options: AdminOptions) => {
      const answer = (await adminCall(options, 'GET', `/v1/secrets/${name(secretName)}/versions`)) as { versions: Array<Record<string, unknown>> };
      print(options, answer, () => table(answer.versions, ['version', 'promoted', 'kekId', 'createdBy', 'createdAt']));
    }),
  );

  addAdminOptions(secrets.command('promote <name> <version>').description('promote a version: every node serves it within a second (also how to roll back)')).action(
    action(async (secretName: string, version: string, options: AdminOptions) => {
      if (!/^[1-9][0-9]{0,8}$/.test(version)) throw new CliError('the version is a whole number from 1');
      const answer = await adminCall(options, 'POST', `/v1/secrets/${name(secretName)}/promote`, { version: Number(version) });
      print(options, answer, () => `${secretName}: version ${version} promoted\n`);
    }),
  );

  addAdminOptions(secrets.command('delete <name>').description('delete a secret with every version, or one version with --version'))
    .option('--version <n>', 'delete only this version (never the promoted one)')
    .option('--force', 'delete even though the running config or an upstream credential names it (its references then answer 503)')
    .action(
      action(async (secretName: string, options: AdminOptions & { version?: string; force?: boolean }) => {
        if (options.version !== undefined && !/^[1-9][0-9]{0,8}$/.test(options.version)) throw new CliError('--version is a whole number from 1');
        const query = new URLSearchParams({ ...(options.version === undefined ? {} : { version: options.version }), ...(options.force ? { force: 'true' } : {}) }).toString();
        const answer = await adminCall(options, 'DELETE', `/v1/secrets/${name(secretName)}${query === '' ? '' : `?${query}`}`);
        print(options, answer, () => `${secretName}${options.version === undefined ? '' : ` version ${options.version}`} deleted\n`);
      }),
    );

  addAdminOptions(secrets.command('reveal <name>').description('print a secret value (needs credentials:reveal and step-up; audited)'))
    .option('--version <n>', 'reveal this version instead of the promoted one')
    .action(
      action(async (secretName: string, options: AdminOptions & { version?: string }) => {
        if (options.version !== undefined && !/^[1-9][0-9]{0,8}$/.test(options.version)) throw new CliError('--version is a whole number from 1');
        const answer = (await adminCall(options, 'POST', `/v1/secrets/${name(secretName)}/reveal`, options.version === undefined ? {} : { version: Number(options.version) })) as { value: string };
        print(options, answer, () => `${answer.value}\n`);
      }),
    );
}
