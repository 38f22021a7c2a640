/**
 * `portcullis backup --out <file>` and `portcullis restore --from <file>` (docs/operations.md#backup-and-restore):
 * the config's store copied to one file while the gateway runs, and loaded into an empty database.
 * Both open the store directly and write an audit record as `cli:<login>`: the backup in the
 * store it copied (after the snapshot: the file does not hold its own record), the restore in the
 * restored store (its first record after the backup's head). The KEK is never read into the file:
 * a restore names the KEK ids its secrets need, and warns when the config's vault lacks one.
 */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { writeBackup } from '../store/backup.js';
import { BackupFileError, type BackupManifest } from '../store/backup-file.js';
import { migrateToLatest } from '../store/open-store.js';
import { restoreBackup, RestoreRefusedError } from '../store/restore.js';
import { Store } from '../store/store.js';
import { kekRing } from '../vault/kek-sources.js';
import { action, CliError } from './admin-client.js';
import { cliActor, openConfiguredStore } from './store-access.js';

const quiet = createLogger({ level: 'warn', redactHeaders: [] }, process.stderr);

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("write the store (the vault's ciphertexts, never the KEK) to one file, consistently, while the gateway runs")
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section)')
    .requiredOption('-o, --out <file>', 'the backup file to write (mode 0600; replaced only when complete)')
    .option('--json', 'print the manifest as JSON')
    .action(
      action(async (options: { config: string; out: string; json?: boolean }) => {
        const { opened } = await openConfiguredStore(options.config);
        const store = new Store(opened, { clock: systemClock, logger: () => quiet });
        try {
          let manifest: BackupManifest;
          try {
            manifest = await writeBackup(opened, options.out);
          } catch (error) {
            throw new CliError(`backup failed: ${(error as Error).message}`);
          }
          await store.audit(cliActor(), 'store.backup', { kind: 'store', id: 'backup' }, { detail: facts(manifest) });
          process.stdout.write(
            options.json
              ? `${JSON.stringify(manifest)}\n`
              : `backup written to ${options.out}: revision ${manifest.storeRevision}, audit head ${manifest.auditHead.seq}, ${Object.values(manifest.tables).reduce((a, b) => a + b, 0)} rows, sha256 ${manifest.contentSha256}\n` +
                  `${kekLine(manifest)}keep the KEK escrowed apart from this file (docs/vault.md#backup-and-escrow)\n`,
          );
        } finally {
          await store.close();
        }
      }),
    );

  program
    .command('restore')
    .description('load a backup into an empty database (refused if it holds anything); start the gateway on it with the same KEK')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (its store section names the empty database)')
    .requiredOption('-f, --from <file>', 'the backup file (its manifest and SHA-256 are checked first)')
    .option('--json', 'print the manifest as JSON')
    .action(
      action(async (options: { config: string; from: string; json?: boolean }) => {
        const { opened, migrateOnStart, config } = await openConfiguredStore(options.config);
        const store = new Store(opened, { clock: systemClock, logger: () => quiet });
        try {
          let manifest: BackupManifest;
          try {
            manifest = await restoreBackup(opened, options.from);
            if (migrateOnStart) await migrateToLatest(opened);
          } catch (error) {
            if (error instanceof BackupFileError || error instanceof RestoreRefusedError) throw new CliError(`restore refused: ${error.message}`);
            throw new CliError(`restore failed: ${(error as Error).message}`);
          }
          await store.audit(cliActor(), 'store.restore', { kind: 'store', id: 'restore' }, { detail: { ...facts(manifest), backupCreatedAt: manifest.createdAt } });
          const missing = missingKeks(config.vault, manifest);
          if (missing) process.stderr.write(`portcullis: warning: ${missing}\n`);
          process.stdout.write(
            options.json
              ? `${JSON.stringify(manifest)}\n`
              : `restored the backup of ${manifest.createdAt} (revision ${manifest.storeRevision}, audit head ${manifest.auditHead.seq}); verify with: portcullis audit verify --config ${options.config}\n${kekLine(manifest)}`,
          );
        } finally {
          await store.close();
        }
      }),
    );
}

/** What the audit record says of a backup: ids, counts and hashes, never a value. */
function facts(manifest: BackupManifest): Record<string, unknown> {
  return { contentSha256: manifest.contentSha256, storeRevision: manifest.storeRevision, auditHeadSeq: manifest.auditHead.seq, auditHeadHash: manifest.auditHead.hash, schemaVersion: manifest.schemaVersion, kekIds: manifest.kekIds };
}

function kekLine(manifest: BackupManifest): string {
  return manifest.kekIds.length === 0 ? '' : `its vault values are wrapped by ${manifest.kekIds.join(', ')}: a gateway on it needs ${manifest.kekIds.length === 1 ? 'that KEK' : 'those KEKs'}\n`;
}

/** Why the config's vault cannot open the backup's values, or undefined (no vault section: nothing to say). */
function missingKeks(vault: Parameters<typeof kekRing>[0] | undefined, manifest: BackupManifest): string | undefined {
  if (!vault || manifest.kekIds.length === 0) return undefined;
  let ids: string[];
  try {
    ids = kekRing(vault).ids;
  } catch (error) {
    return `the config's vault KEKs cannot be read here (${(error as Error).message}): check that they are ${manifest.kekIds.join(', ')}`;
  }
  const missing = manifest.kekIds.filter((id) => !ids.includes(id));
  return missing.length === 0 ? undefined : `the backup's vault values are wrapped by ${missing.join(', ')}, which this config's vault does not hold (it has ${ids.join(', ')}): a gateway started with it will refuse to start; configure the escrowed KEK`;
}
