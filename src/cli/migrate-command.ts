import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { migrateToLatest, openStore } from '../store/open-store.js';
import { action, CliError } from './admin-client.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("apply the store's pending migrations (also done at start unless store.migrateOnStart is false)")
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .option('--json', 'print the applied migrations as JSON')
    .action(
      action(async (options: { config: string; json?: boolean }) => {
        const loaded = await loadConfigFile(options.config);
        if (!loaded.ok) throw new CliError(`${options.config} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
        const storeConfig = loaded.config.store;
        if (!storeConfig) throw new CliError(`${options.config} has no store section`);
        const store = openStore(storeConfig.driver === 'postgres' ? { driver: 'postgres', url: storeConfig.url!.reveal() } : { driver: 'sqlite', path: storeConfig.path });
        try {
          const applied = ((await migrateToLatest(store)).results ?? []).map((r) => r.migrationName);
          process.stdout.write(options.json ? `${JSON.stringify({ applied })}\n` : applied.length === 0 ? 'the store is up to date\n' : `applied: ${applied.join(', ')}\n`);
        } catch (error) {
          throw new CliError(`migration failed: ${(error as Error).message}`);
        } finally {
          await store.close();
        }
      }),
    );
}
