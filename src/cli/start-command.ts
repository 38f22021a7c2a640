import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { systemClock } from '../core/clock.js';
import { collectSecrets } from '../observability/crash-report.js';
import { workerSlot } from '../server/cluster-worker.js';
import { keepInspectorClosed, memoryExposureVerdict } from '../server/memory-exposure.js';
import type { Gateway } from '../server/gateway.js';
import { crashReason } from './crash-reason.js';
import { handleSignals, installLastResort } from './signals.js';

/** The most workers `--workers` accepts (a bound against a typo forking thousands of processes). */
export const MAX_WORKERS = 256;

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start the gateway with a config file (reloads on SIGHUP and on file change)')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (or .json)')
    .option('-w, --workers <count>', `worker processes sharing the listeners: 1 to ${MAX_WORKERS}, or "auto" for one per core; 1 runs one process, no cluster`, '1')
    .action(async (options: { config: string; workers: string }) => {
      const workers = parseWorkers(options.workers);
      if (workers === undefined) {
        process.stderr.write(`portcullis: --workers must be a whole number from 1 to ${MAX_WORKERS}, or "auto" (got ${JSON.stringify(options.workers)})\n`);
        process.exitCode = 1;
        return;
      }
      // Before anything is decrypted: a heap snapshot or an inspector would copy it all out.
      const exposure = memoryExposureVerdict(process.env, process.execArgv);
      if (exposure) process.stderr.write(`portcullis: ${exposure.message}\n`);
      if (exposure?.refuse) {
        process.exitCode = 1;
        return;
      }
      keepInspectorClosed(process.env, (line) => process.stderr.write(`portcullis: ${line}\n`));
      const slot = workerSlot();
      if (workers > 1 && slot !== undefined) {
        // A worker forked by the primary: it runs the config the primary sends it.
        const { startWorker } = await import('./start-cluster.js');
        return startWorker(slot);
      }
      const loaded = await loadConfigFile(options.config);
      if (!loaded.ok) {
        process.stderr.write(`portcullis: ${options.config} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      for (const warning of loaded.warnings) process.stderr.write(`portcullis: warning: ${formatIssue(warning)}\n`);
      // Preflight's critical offline rules (an expired certificate the gateway presents or trusts), from the same checks.
      const { startRefusals } = await import('../commands/preflight/start-gate.js');
      const { refusals, failed } = await startRefusals(loaded.config, { configPath: options.config, env: process.env, clock: systemClock });
      for (const reason of failed) process.stderr.write(`portcullis: warning: ${reason}\n`);
      if (refusals.length > 0) {
        process.stderr.write(`portcullis: ${options.config} cannot serve as it is (portcullis preflight reports the same):\n${refusals.map((found) => `  ${found.ruleId} ${found.where.path ?? found.where.entity ?? ''}: ${found.message}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      if (workers > 1) {
        const { startPrimary } = await import('./start-cluster.js');
        // The primary validates the text it read once more: that text, not the file, is what every worker runs.
        return startPrimary({ configPath: options.config, configText: await readFile(options.config, 'utf8'), workers });
      }
      // Loaded only for one process: a --workers primary serves nothing and must not carry the gateway.
      const { Gateway } = await import('../server/gateway.js');
      let gateway: Gateway | undefined;
      const secrets = collectSecrets(loaded.config);
      installLastResort(() => gateway, () => secrets);
      handleSignals(() => gateway);
      try {
        gateway = await Gateway.start({ config: loaded.config, configPath: options.config });
      } catch (error) {
        // A port in use, an unreachable store, a short pepper: say what, in one line, without a
        // stack trace or a secret (a driver's message may quote the connection string).
        const reason = crashReason(error, secrets);
        process.stderr.write(`portcullis: could not start: ${reason}\n`);
        process.exit(1);
      }
      if (loaded.config.lifecycle.watchConfigFile) gateway.watchConfigFile();
    });
}

/** `--workers`: a whole number from 1 to MAX_WORKERS, or `auto` (the cores this process may use); undefined if neither. */
export function parseWorkers(value: string, cores: number = availableParallelism()): number | undefined {
  if (value === 'auto') return Math.min(Math.max(1, cores), MAX_WORKERS);
  if (!/^[0-9]+$/.test(value)) return undefined;
  const count = Number(value);
  return count >= 1 && count <= MAX_WORKERS ? count : undefined;
}
