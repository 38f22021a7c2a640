/**
 * `portcullis start --workers N` (N > 1): the process-level side of the primary and of a worker
 * (signals, exit codes); what they do is in server/cluster-primary.ts and server/cluster-worker.ts.
 *
 * Signals go to the primary (a supervisor or Kubernetes signals the main process): SIGTERM/SIGINT
 * drain every worker then exit 0, a second one exits at once; SIGHUP reloads. Workers ignore
 * signals and act on the primary's word, so a Ctrl-C that reaches the whole process group drains
 * once; a worker whose primary is gone drains and exits.
 */
import { formatIssue, loadConfigText } from '../config/loader.js';
import { collectSecrets, crashLine } from '../observability/crash-report.js';
import { createLogger } from '../observability/logger.js';
import { LogEventTap } from '../observability/log-tap.js';
import { BoundedDestination } from '../observability/log-destination.js';
import { ClusterPrimary, migrateOnce } from '../server/cluster-primary.js';
import { tagLogLines, WorkerLink, workerConfig } from '../server/cluster-worker.js';
import type { Gateway } from '../server/gateway.js';
import { processChannel } from '../server/counter-services.js';
import { CounterHost } from '../ratelimit/counter-host.js';
import type { Worker } from 'node:cluster';
import { dirname, resolve } from 'node:path';
import { crashReason } from './crash-reason.js';
import { CLOSE_GRACE_MS, installLastResort, LOG_FLUSH_MS, shutdownAndExit } from './signals.js';

/** How long the primary waits for workers to exit after a failed start. */
const ABANDON_TIMEOUT_MS = 5000;
/** A draining worker's last alert signals may take this long to go (well within CLOSE_GRACE_MS). */
const SIGNALS_FLUSH_MS = 1000;

/** Runs the primary: migrations, N workers, signals; exits when they are all done. */
export async function startPrimary(options: { configPath: string; configText: string; workers: number }): Promise<void> {
  const loaded = loadConfigText(options.configText, process.env, { baseDir: dirname(resolve(options.configPath)) });
  if (!loaded.ok) {
    process.stderr.write(`portcullis: ${options.configPath} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}\n`);
    process.exit(1);
  }
  const config = loaded.config;
  const destination = new BoundedDestination({ maxBufferBytes: config.logging.maxBufferBytes });
  tagLogLines(destination, '"worker":0');
  // The primary's watched events (a rejected reload) reach the lead's alert engine (cluster-alert-relay.ts).
  const logEvents = new LogEventTap();
  const logger = createLogger({ level: config.logging.level, redactHeaders: config.logging.redactHeaders, maskDetected: config.logging.maskDetected, tap: logEvents }, destination);
  const secrets = collectSecrets(config);
  const exit = (code: number) => void destination.flushWithin(LOG_FLUSH_MS).finally(() => process.exit(code));
  // The in-memory limits of every worker, kept once (ratelimit/counter-host.ts): no limit multiplies by N.
  const counters = new CounterHost({ bruteForce: config.bruteForce });
  const onFork = (worker: Worker) => {
    counters.attach(worker);
    // Slots a dead worker held are given back; its requests in flight leave the total.
    worker.once('exit', () => counters.detach(worker));
  };
  const primary = new ClusterPrimary({ ...options, config, env: process.env, logger, stopGraceMs: CLOSE_GRACE_MS + LOG_FLUSH_MS, onFork, logEvents });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ event: 'gateway.forced_exit', signal }, 'second stop signal: workers exit without draining');
      primary.exitNow();
      return exit(1);
    }
    stopping = true;
    void primary.stop().then(exit);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void primary.reload());
  const crash = (kind: 'uncaughtException' | 'unhandledRejection') => (error: unknown) => {
    destination.write(crashLine(kind, error, secrets));
    primary.exitNow();
    exit(70);
  };
  process.on('uncaughtException', crash('uncaughtException'));
  process.on('unhandledRejection', crash('unhandledRejection'));
  try {
    await migrateOnce(config, logger);
  } catch (error) {
    process.stderr.write(`portcullis: could not start: ${crashReason(error, secrets)}\n`);
    return exit(1);
  }
  const started = await primary.start();
  if (!started.ok) {
    process.stderr.write(`portcullis: could not start: ${redactLine(started.reason, secrets)}\n`);
    await Promise.race([primary.abandoned(), new Promise((resolve) => setTimeout(resolve, ABANDON_TIMEOUT_MS))]);
    return exit(1);
  }
  if (config.lifecycle.watchConfigFile) primary.watchConfigFile();
}

/** Runs a worker: its config from the primary, a gateway with the listeners, and the primary's word. */
export async function startWorker(slot: number): Promise<void> {
  // The primary relays stop and reload; a signal sent to the whole process group must not stop a
  // worker on its own (nor end it: the default action of each of these).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});
  const link = new WorkerLink(slot);
  const { text, baseDir } = await link.config();
  const loaded = loadConfigText(text, process.env, { baseDir });
  if (!loaded.ok) {
    await link.failed(loaded.issues.map(formatIssue).join('; '));
    process.exit(1);
  }
  const destination = new BoundedDestination({ maxBufferBytes: loaded.config.logging.maxBufferBytes });
  tagLogLines(destination, `"worker":${slot}`);
  const secrets = collectSecrets(loaded.config);
  let gateway: Gateway | undefined;
  installLastResort(() => gateway, () => secrets);
  // Loaded here, not at the top: the primary, which shares this module, never loads the gateway.
  const { Gateway } = await import('../server/gateway.js');
  try {
    gateway = await Gateway.start({ config: workerConfig(loaded), logDestination: destination, cluster: link.role, sharedCounters: { channel: processChannel() } });
  } catch (error) {
    await link.failed(crashReason(error, secrets));
    process.exit(1);
  }
  const running = gateway;
  let stopping = false;
  const drain = (code: number) => {
    if (stopping) return;
    stopping = true;
    // Closed, the gateway adds no more alert signals: those still waiting go before the exit.
    shutdownAndExit(running, code, running.config.lifecycle.drainTimeoutMs, () => link.flushSignals(SIGNALS_FLUSH_MS));
  };
  link.started(running, {
    drain: () => drain(0),
    exitNow: () => void running.flushLogs(LOG_FLUSH_MS).finally(() => process.exit(1)),
  });
  process.on('disconnect', () => {
    if (stopping) return;
    running.logger.error({ event: 'cluster.primary_lost', slot }, 'the primary process is gone: draining and exiting');
    drain(1);
  });
}

function redactLine(line: string, secrets: readonly string[]): string {
  return crashReason(new Error(line), secrets);
}
