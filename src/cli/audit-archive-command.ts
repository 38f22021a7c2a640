/**
 * `portcullis audit archive --before <time> --out <dir> --config <file>`: moves the audit records
 * older than `--before` (and than `audit.retention.minimumDays`) out of the store, at a checkpoint
 * boundary (docs/audit.md#retention-and-archiving). It works on the config's store directly, on the
 * gateway host: it exports the records as a normal bundle, verifies the bundle as written to disk,
 * and only then removes exactly those records in one transaction that also appends the
 * `audit.archived` record naming the bundle's records.jsonl SHA-256.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { loadConfigFile, formatIssue } from '../config/loader.js';
import { AuditLog } from '../audit/audit-log.js';
import { archiveRecords, ArchiveRefused, buildArchiveBundle, planArchive, recordsSha256, retentionCutoff } from '../audit/archive.js';
import { readBundle, writeBundle } from '../audit/bundle.js';
import { verifyChain } from '../audit/verify.js';
import { action, CliError } from './admin-client.js';
import { cliActor, openCliStore } from './store-access.js';

interface ArchiveOptions {
  before: string;
  out: string;
  config: string;
  format: string;
}

export function registerAuditArchiveCommand(audit: Command): void {
  audit
    .command('archive')
    .description('move the records older than --before out of the store into a verified bundle, at a checkpoint boundary')
    .requiredOption('--before <time>', 'archive only records older than this (RFC 3339); it must be older than audit.retention.minimumDays')
    .requiredOption('--out <dir>', 'a new folder for the bundle of the archived records')
    .requiredOption('--config <file>', "the gateway config whose store is archived (run on the gateway host)")
    .option('--format <format>', 'text or json', 'text')
    .action(action(archive));
}

async function archive(options: ArchiveOptions): Promise<void> {
  if (options.format !== 'text' && options.format !== 'json') throw new CliError('--format must be text or json');
  const before = Date.parse(options.before);
  if (Number.isNaN(before)) throw new CliError('--before must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z');
  // Never over an earlier bundle: it may be the only copy of records archived before.
  if (existsSync(join(options.out, 'manifest.json')) || existsSync(join(options.out, 'records.jsonl'))) throw new CliError(`${options.out} already holds a bundle: give a new folder`);
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) throw new CliError(`${options.config} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
  const minimumDays = loaded.config.audit.retention.minimumDays;
  const now = systemClock.now();
  const cutoff = retentionCutoff(now, minimumDays);
  if (before > cutoff) throw new CliError(`--before ${options.before} is within audit.retention.minimumDays (${minimumDays} days): records after ${new Date(cutoff).toISOString()} are kept`);
  const store = await openCliStore(options.config);
  try {
    const log = new AuditLog(store.db);
    const plan = await planArchive(log, before);
    if (!plan) {
      const said = { archived: false, reason: `no checkpoint anchors only records older than ${new Date(before).toISOString()}` };
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(said)}\n` : `nothing to archive: ${said.reason}\n`);
      return;
    }
    writeBundle(options.out, await buildArchiveBundle(log, plan, { before, now }));
    // Verified as read back from disk, before anything is removed.
    const report = await verifyChain(readBundle(options.out, await log.keys()));
    if (!report.ok || report.firstSeq !== plan.fromSeq || report.lastSeq !== plan.throughSeq || report.anchoredThrough !== plan.throughSeq) {
      const why = report.findings.map((finding) => `${finding.kind}: ${finding.message}`).join('; ') || `it holds seq ${report.firstSeq}..${report.lastSeq}`;
      throw new CliError(`the bundle in ${options.out} does not verify (${why}): nothing was removed; run portcullis audit verify --config ${options.config}`);
    }
    const bundleSha256 = recordsSha256(readFileSync(join(options.out, 'records.jsonl')));
    let result;
    try {
      result = await archiveRecords(store, cliActor(), { throughSeq: plan.throughSeq, bundleSha256, minimumDays, before: new Date(before).toISOString() });
    } catch (error) {
      if (error instanceof ArchiveRefused) throw new CliError(`${error.message} (nothing was removed)`);
      throw error;
    }
    const said = { archived: true, fromSeq: result.fromSeq, throughSeq: result.throughSeq, records: result.records, bundle: options.out, bundleSha256, checkpoint: { fromSeq: plan.anchor.fromSeq, toSeq: plan.anchor.toSeq }, recordSeq: result.record.seq };
    process.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify(said)}\n`
        : `archived records ${result.fromSeq}..${result.throughSeq} (${result.records}) to ${options.out} (records.jsonl SHA-256 ${bundleSha256})\n` +
            `the chain now starts at seq ${result.throughSeq + 1}, anchored by checkpoint ${plan.anchor.fromSeq}..${plan.anchor.toSeq}; recorded as audit.archived (seq ${result.record.seq})\n` +
            `keep the bundle where it cannot be changed; check it with: portcullis audit verify ${options.out}\n`,
    );
  } finally {
    await store.close();
  }
}
