/**
 * `portcullis audit`: read the audit trail (list, show) through the admin API, export a bundle
 * (through the admin API, or straight from the store with --config), and verify a bundle offline
 * or the live store (docs/audit.md). `verify` exits with the code of its worst finding.
 */
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { AuditLog } from '../audit/audit-log.js';
import { buildBundle, BundleError, readBundle, writeBundle, type AuditBundle } from '../audit/bundle.js';
import type { PublicCheckpointKey } from '../audit/checkpoint.js';
import { verifyChain, type ChainInput, type VerifyReport } from '../audit/verify.js';
import type { AuditRecord } from '../store/audit-record.js';
import { action, addAdminOptions, adminCall, CliError, print, table, type AdminOptions } from './admin-client.js';
import { cliActor, openCliStore } from './store-access.js';
import { readFileSync } from 'node:fs';
import { registerAuditArchiveCommand } from './audit-archive-command.js';

const COLUMNS = ['seq', 'time', 'actor', 'action', 'target', 'outcome', 'sourceIp'];

interface ListOptions extends AdminOptions {
  actor?: string;
  actorType?: string;
  action?: string;
  targetKind?: string;
  target?: string;
  since?: string;
  until?: string;
  limit: string;
  cursor?: string;
}

const row = (record: AuditRecord) => ({ ...record, actor: `${record.actor.type}:${record.actor.id}`, target: `${record.target.kind}:${record.target.id}` });

function time(name: string) {
  return (value: string): string => {
    if (Number.isNaN(Date.parse(value))) throw new CliError(`${name} must be an RFC 3339 time, e.g. 2026-11-30T00:00:00Z`);
    return new Date(value).toISOString();
  };
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('read, export and verify the tamper-evident audit trail');

  addAdminOptions(
    audit
      .command('list')
      .description('list audit records, newest first, through the admin API')
      .option('--actor <id>', "the actor's id")
      .option('--actor-type <type>', 'bootstrap-token, admin-user, admin-token, cli, system or data-plane')
      .option('--action <name>', 'an action: api_key.revoke')
      .option('--target-kind <kind>', 'api_key, consumer, …')
      .option('--target <id>', "the target's id")
      .option('--since <time>', 'from this time (RFC 3339), inclusive', time('--since'))
      .option('--until <time>', 'until this time (RFC 3339), exclusive', time('--until'))
      .option('--limit <n>', 'records per page (at most 1000)', '100')
      .option('--cursor <cursor>', 'the next page (printed after a full page)'),
  ).action(
    action(async (options: ListOptions) => {
      const query = new URLSearchParams({ limit: options.limit });
      const filters: Array<[string, string | undefined]> = [['actor', options.actor], ['actorType', options.actorType], ['action', options.action], ['targetKind', options.targetKind], ['target', options.target], ['since', options.since], ['until', options.until], ['cursor', options.cursor]];
      for (const [name, value] of filters) if (value !== undefined) query.set(name, value);
      const page = (await adminCall(options, 'GET', `/v1/audit?${query}`)) as { items: AuditRecord[]; nextCursor: string | null };
      print(options, page, () => table(page.items.map(row), COLUMNS) + (page.nextCursor ? `more: --cursor ${page.nextCursor}\n` : ''));
    }),
  );

  addAdminOptions(audit.command('show').description('show one audit record by its seq').argument('<seq>')).action(
    action(async (seq: string, options: AdminOptions) => {
      if (!/^[1-9][0-9]*$/.test(seq)) throw new CliError('<seq> must be a positive whole number');
      const record = await adminCall(options, 'GET', `/v1/audit/${seq}`);
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    }),
  );

  addAdminOptions(
    audit
      .command('export')
      .description('write an export bundle (records, checkpoints, public keys, README) for a time range into a folder')
      .requiredOption('--out <dir>', 'the folder to write the bundle into')
      .option('--since <time>', 'from this time (RFC 3339), inclusive', time('--since'))
      .option('--until <time>', 'until this time (RFC 3339), exclusive', time('--until'))
      .option('--config <file>', "read the gateway config's store directly instead of calling the admin API"),
  ).action(
    action(async (options: AdminOptions & { out: string; since?: string; until?: string; config?: string }) => {
      let bundle: AuditBundle;
      if (options.config) {
        const store = await openCliStore(options.config);
        try {
          await store.audit(cliActor(), 'audit.export', { kind: 'audit_trail', id: 'export' }, { detail: { since: options.since ?? null, until: options.until ?? null } });
          bundle = await buildBundle(new AuditLog(store.db), { since: options.since ? Date.parse(options.since) : undefined, until: options.until ? Date.parse(options.until) : undefined, now: systemClock.now() });
        } finally {
          await store.close();
        }
      } else {
        bundle = (await adminCall(options, 'POST', '/v1/audit/export', { since: options.since, until: options.until })) as AuditBundle;
      }
      writeBundle(options.out, bundle);
      const { fromSeq, toSeq, records } = bundle.manifest;
      print(options, bundle.manifest, () => `${records} records${fromSeq === null ? '' : ` (seq ${fromSeq}..${toSeq})`}, ${bundle.checkpoints.length} checkpoints and ${bundle.keys.length} public keys written to ${options.out}\nverify with: portcullis audit verify ${options.out}\n`);
    }),
  );

  registerAuditArchiveCommand(audit);

  audit
    .command('verify')
    .description('verify an export bundle offline, or the live store with --config: hashes, links, checkpoint signatures')
    .argument('[bundle]', 'the folder of an export bundle')
    .option('--config <file>', "verify the gateway config's store instead of a bundle")
    .option('--keys <file>', "trusted public keys (a keys.json from the operator) instead of the bundle's own")
    .option('--format <format>', 'text or json', 'text')
    .option('--allow-unanchored', 'exit 0 when the only finding is records not yet anchored by a checkpoint')
    .action(async (bundle: string | undefined, options: { config?: string; keys?: string; format: string; allowUnanchored?: boolean }) => {
      try {
        if (options.format !== 'text' && options.format !== 'json') throw new CliError('--format must be text or json');
        if ((bundle === undefined) === (options.config === undefined)) throw new CliError('give a bundle folder or --config <file>, not both');
        const trusted = options.keys ? readKeys(options.keys) : undefined;
        let report: VerifyReport;
        if (options.config) {
          const store = await openCliStore(options.config);
          try {
            const live: ChainInput = await new AuditLog(store.db).liveChain();
            report = await verifyChain(trusted ? { ...live, keys: trusted } : live);
          } finally {
            await store.close();
          }
        } else {
          report = await verifyChain(readBundle(bundle!, trusted));
        }
        const onlyUnanchored = report.findings.every((finding) => finding.kind === 'not_anchored');
        const exitCode = options.allowUnanchored && onlyUnanchored ? 0 : report.exitCode;
        process.stdout.write(options.format === 'json' ? `${JSON.stringify({ ...report, exitCode }, null, 2)}\n` : describeReport(report, exitCode));
        process.exitCode = exitCode;
      } catch (error) {
        if (!(error instanceof CliError) && !(error instanceof BundleError)) throw error;
        process.stderr.write(`portcullis: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
}

function readKeys(file: string): PublicCheckpointKey[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: PublicCheckpointKey[] };
    if (!Array.isArray(parsed.keys)) throw new Error('no keys');
    return parsed.keys;
  } catch {
    throw new CliError(`${file} is not a keys.json ({"keys": [{keyId, algorithm, publicKey}]})`);
  }
}

function describeReport(report: VerifyReport, exitCode: number): string {
  const span = report.firstSeq === null ? 'no records' : `${report.records} records (seq ${report.firstSeq}..${report.lastSeq})`;
  const start = report.startCheckpoint === null ? '' : `; chain starts at seq ${report.firstSeq}, anchored by checkpoint ${report.startCheckpoint.fromSeq}..${report.startCheckpoint.toSeq}`;
  const lines = [`audit trail: ${span}, ${report.checkpoints} checkpoints, anchored through seq ${report.anchoredThrough}${start}`];
  if (report.archivedThroughSeq !== null) lines.push(`records through seq ${report.archivedThroughSeq} were archived (audit.archived)`);
  for (const finding of report.findings) lines.push(`${finding.kind === 'not_anchored' ? 'WARN' : 'FAIL'} ${finding.kind}: ${finding.message}`);
  // Exit 8 is no tampering found, only records no checkpoint signs yet: say so, not "NOT valid".
  const onlyUnanchored = report.findings.every((finding) => finding.kind === 'not_anchored');
  const verdict = report.ok ? 'valid, every record anchored' : onlyUnanchored ? 'consistent, but the newest records are not yet anchored by a checkpoint' : 'NOT valid';
  lines.push(`verdict: ${verdict} (exit ${exitCode})`);
  return `${lines.join('\n')}\n`;
}
