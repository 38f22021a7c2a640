/**
 * `portcullis vault rotate-kek`: re-wraps every data key of the config's store with the config's
 * current KEK (vault.kek), the old one listed in vault.previousKeks (docs/vault.md#kek-rotation).
 * Online and resumable; it opens the store directly, as the CLI (`cli:<login>`) actor. Every
 * column the vault seals is re-wrapped in the same run (server/kek-rotation.ts: secret versions,
 * upstream credential tokens, OAuth signing keys), and values still sealed with a key from before
 * the vault (credentials.tokenEncryptionKey, oauth.signingKeySecret) are sealed by it. Exit status
 * 1 while anything is left under another KEK.
 */
import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { createLogger } from '../observability/logger.js';
import { rotateEveryKek, type ColumnRotation } from '../server/kek-rotation.js';
import { kekRing } from '../vault/kek-sources.js';
import { action, CliError } from './admin-client.js';
import { cliActor, openCliStore } from './store-access.js';

export function registerVaultCommand(program: Command): void {
  const vault = program.command('vault').description('the vault: re-wrap every data key with a new KEK');
  vault
    .command('rotate-kek')
    .description('re-wrap every data key with vault.kek (the old KEK in vault.previousKeks until this is done); online, resumable')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store and vault sections)')
    .option('--batch-size <n>', 'data keys per transaction', '100')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (options: { config: string; batchSize: string; json?: boolean }) => {
        const loaded = await loadConfigFile(options.config);
        if (!loaded.ok) throw new CliError(`${options.config} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
        if (!loaded.config.vault) throw new CliError(`${options.config} has no vault section`);
        const batchSize = Number(options.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) throw new CliError('--batch-size is a whole number from 1 to 10000');
        let ring;
        try {
          ring = kekRing(loaded.config.vault);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
        const store = await openCliStore(options.config);
        const logger = createLogger({ level: 'info', redactHeaders: [] }, process.stderr);
        try {
          const result = await rotateEveryKek(loaded.config, { store, ring, logger }, cliActor(), { batchSize });
          const { secret_versions: secrets, upstream_credential_tokens: tokens, oauth_signing_keys: signing } = result.columns;
          const moved = (c: ColumnRotation) => c.rewrapped + c.resealed;
          const left = Object.entries(result.columns).filter(([, c]) => c.remaining > 0).map(([name, c]) => `${c.remaining} ${name.replaceAll('_', ' ')}`);
          process.stdout.write(
            options.json
              ? `${JSON.stringify(result)}\n`
              : `re-wrapped with ${result.kekId}: ${moved(secrets)} secret versions, ${moved(tokens)} upstream credential token rows, ${moved(signing)} OAuth signing keys; ${
                  result.done
                    ? 'every sealed value is wrapped by it: the previous KEKs may be removed from vault.previousKeks'
                    : `not wrapped by it yet: ${left.join(', ')} (see the log): keep the previous KEKs (and credentials.tokenEncryptionKey, oauth.signingKeySecret) and run this again`
                }\n`,
          );
          if (!result.done) process.exitCode = 1;
        } finally {
          await store.close();
        }
      }),
    );
}
