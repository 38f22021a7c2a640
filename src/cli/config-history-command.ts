/**
 * `portcullis config history | show | diff` (issue 22 §3, docs/preflight.md#rollback-plan): the
 * configs the nodes applied, as kept in the store with their hashes; one of them as written (to
 * restore it); and the difference between two (a unified diff of the files as written, or of the
 * applied JSON when a file was not kept). Read-only: the store is opened, never migrated.
 */
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { findConfig, listConfigHistory, liveNodes } from '../store/config-history.js';
import type { Store } from '../store/store.js';
import { systemClock } from '../core/clock.js';
import { action, CliError } from './admin-client.js';
import { openConfiguredStore } from './store-access.js';
import { Store as UnitOfWork } from '../store/store.js';
import { createLogger } from '../observability/logger.js';

async function withStore<T>(configPath: string, work: (store: Store) => Promise<T>): Promise<T> {
  const { opened } = await openConfiguredStore(configPath);
  try {
    return await work(new UnitOfWork(opened, { clock: systemClock, logger: () => quiet }));
  } catch (error) {
    if (/config_history|gateway_nodes/.test((error as Error).message)) throw new CliError(`the store of ${configPath} has no config history yet: run \`portcullis migrate --config ${configPath}\` (start does it by default)`);
    throw error;
  } finally {
    await opened.close();
  }
}

const quiet = createLogger({ level: 'silent', redactHeaders: [] }, process.stderr);
const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function stored(store: Store, hash: string) {
  const found = await findConfig(store.db, hash.toLowerCase());
  if (!found) throw new CliError(`no single applied config has a hash starting with ${hash} (see \`portcullis config history\`)`);
  return found;
}

export function registerConfigHistoryCommands(config: Command): void {
  config
    .command('history')
    .description('the configs the nodes applied, newest first: hash, when, where from, and which running nodes serve it')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .option('--limit <n>', 'how many', (value) => Number(value), 20)
    .option('--json', 'print JSON')
    .action(
      action(async (options: { config: string; limit: number; json?: boolean }) => {
        await withStore(options.config, async (store) => {
          const history = await listConfigHistory(store.db, options.limit);
          const nodes = await liveNodes(store.db, Date.now());
          const rows = history.map((entry) => ({ ...entry, servedBy: nodes.filter((node) => node.configSha256 === entry.sha256).map((node) => node.nodeId) }));
          if (options.json) return void process.stdout.write(`${JSON.stringify({ history: rows, nodes }, null, 2)}\n`);
          if (rows.length === 0) return void process.stdout.write('no config has been applied with this store yet\n');
          for (const row of rows) process.stdout.write(`${row.sha256.slice(0, 12)}  last applied ${when(row.lastAppliedAt)}  first ${when(row.firstAppliedAt)} on ${row.firstNode}  ${row.file ?? '(no file)'}${row.servedBy.length > 0 ? `  served by ${row.servedBy.join(', ')}` : ''}\n`);
        });
      }),
    );

  config
    .command('show')
    .description('print an applied config as it was written (redirect it to the config file to restore it, then reload)')
    .argument('<hash>', 'its hash, or the first 7 or more hex digits of it')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .action(
      action(async (hash: string, options: { config: string }) => {
        await withStore(options.config, async (store) => {
          const found = await stored(store, hash);
          process.stdout.write(found.source ?? `${JSON.stringify(JSON.parse(found.config), null, 2)}\n`);
        });
      }),
    );

  config
    .command('diff')
    .description('what changed between two applied configs (a unified diff of the files as written)')
    .argument('<a>', 'the older config: its hash or a prefix of it')
    .argument('<b>', 'the newer config: its hash or a prefix of it')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .action(
      action(async (a: string, b: string, options: { config: string }) => {
        await withStore(options.config, async (store) => {
          const [older, newer] = [await stored(store, a), await stored(store, b)];
          // Files as written when both were kept; else the applied JSON of both, so like is compared with like.
          const text = (entry: typeof older) => (older.source !== null && newer.source !== null ? entry.source! : `${JSON.stringify(JSON.parse(entry.config), null, 2)}\n`);
          process.stdout.write(createTwoFilesPatch(`${older.sha256.slice(0, 12)} ${older.file ?? ''}`.trim(), `${newer.sha256.slice(0, 12)} ${newer.file ?? ''}`.trim(), text(older), text(newer)));
        });
      }),
    );
}
