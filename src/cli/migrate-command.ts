import type { Command } from 'commander';
import { migrateToLatest } from '../store/open-store.js';
import { action, CliError } from './admin-client.js';
import { openConfiguredStore } from './store-access.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("apply the store's pending migrations (also done at start unless store.migrateOnStart is false)")
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .option('--json', 'print the applied migrations as JSON')
    .action(
      action(async (options: { config: string; json?: boolean }) => {
        const { opened: store } = await openConfiguredStore(options.config);
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
