/**
 * `portcullis vault rotate-kek`: re-wraps every data key of the config's store with the config's
 * current KEK (vault.kek), the old one listed in vault.previousKeks (docs/vault.md#kek-rotation).
 * Online and resumable; it opens the store directly, as the CLI (`cli:<login>`) actor. The
 * upstream credentials' stored tokens are sealed by the vault too: their data keys are re-wrapped
 * in the same run, and rows still sealed with credentials.tokenEncryptionKey are sealed by the vault.
 */
import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { createLogger } from '../observability/logger.js';
import { resealCredentialTokens } from '../credentials/reseal-tokens.js';
import { KeyTokenSealer } from '../credentials/token-sealer.js';
import { UpstreamCredentialRepository } from '../store/upstream-credentials.js';
import { kekRing } from '../vault/kek-sources.js';
import { rotateKek } from '../vault/rotate-kek.js';
import { SecretRepository } from '../vault/secret-repository.js';
import { Vault } from '../vault/vault.js';
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
          const repository = new SecretRepository(store.db);
          const rotated = await rotateKek({ store, repository, ring, logger }, cliActor(), { batchSize });
          const legacyKey = loaded.config.credentials.tokenEncryptionKey?.reveal();
          const tokens = await resealCredentialTokens(
            { store, repository: new UpstreamCredentialRepository(store.db), vault: new Vault(repository, ring, logger), legacy: legacyKey ? new KeyTokenSealer(legacyKey) : undefined, logger },
            cliActor(),
          );
          const result = { ...rotated, credentialTokens: tokens };
          const left = tokens.remaining > 0 ? `; ${tokens.remaining} upstream credential token rows could not be re-sealed (see the log): keep the previous KEKs and credentials.tokenEncryptionKey` : '';
          process.stdout.write(
            options.json
              ? `${JSON.stringify(result)}\n`
              : `${rotated.rewrapped} data keys re-wrapped, ${tokens.rewrapped + tokens.resealed} upstream credential token rows re-sealed; every version is now wrapped by ${rotated.kekId}${left || ': the previous KEKs may be removed from vault.previousKeks'}\n`,
          );
        } finally {
          await store.close();
        }
      }),
    );
}
