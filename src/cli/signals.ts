/**
 * Process-level lifecycle of a running gateway: SIGTERM/SIGINT drain and stop, SIGHUP reloads, a
 * second stop signal exits at once; and the error handler of last resort (issue 13). Every way out
 * is bounded: a store that hangs while its pool closes, or a log reader that stopped reading, can
 * delay the exit by at most CLOSE_GRACE_MS past the drain deadline plus LOG_FLUSH_MS.
 */
import { crashLine, type CrashKind } from '../observability/crash-report.js';
import type { Gateway } from '../server/gateway.js';

/** After the drain deadline, how long closing pools, the store and Redis may take. */
export const CLOSE_GRACE_MS = 5000;
/** How long buffered log lines may take to reach a slow reader before the process exits. */
export const LOG_FLUSH_MS = 2000;
/** A crash drains in-flight requests for at most this long (the process is in an unknown state). */
export const CRASH_DRAIN_MS = 2000;

/**
 * Installs the signal handlers. Give a getter to install them before the gateway has started: the
 * default action of SIGHUP and SIGTERM is to end the process at once, so a signal that arrives
 * between "gateway.started" and the handlers would otherwise kill it. Before the gateway runs, a
 * stop signal exits 0 (nothing to drain) and SIGHUP is ignored (the config is being read anyway).
 */
export function handleSignals(target: Gateway | (() => Gateway | undefined), onStopped: () => Promise<void> = async () => {}): void {
  const current = typeof target === 'function' ? target : () => target;
  let stopping = false;
  const stop = (signal: string) => {
    const gateway = current();
    if (!gateway) process.exit(0);
    if (stopping) {
      gateway.logger.warn({ event: 'gateway.forced_exit', signal }, 'second stop signal: exiting without draining');
      void gateway.flushLogs(LOG_FLUSH_MS).finally(() => process.exit(1));
      return;
    }
    stopping = true;
    shutdownAndExit(gateway, 0, gateway.config.lifecycle.drainTimeoutMs, onStopped);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void current()?.reloadFromFile());
}

/**
 * Drains and stops the gateway, flushes the log for a bounded time, and exits with `code` (1 if
 * stopping failed). Whatever hangs, the process exits within drainTimeoutMs + CLOSE_GRACE_MS +
 * LOG_FLUSH_MS.
 */
export function shutdownAndExit(gateway: Gateway, code: number, drainTimeoutMs: number, onStopped: () => Promise<void> = async () => {}): void {
  const exit = (status: number) => void gateway.flushLogs(LOG_FLUSH_MS).finally(() => process.exit(status));
  setTimeout(() => {
    gateway.logger.error({ event: 'gateway.stop_timeout', graceMs: CLOSE_GRACE_MS }, 'shutdown did not finish in time (a dependency hangs): exiting');
    exit(1);
  }, drainTimeoutMs + CLOSE_GRACE_MS);
  gateway
    .close(drainTimeoutMs)
    .then(onStopped)
    .then(
      () => exit(code),
      (error: unknown) => {
        gateway.logger.error({ event: 'gateway.stop_failed', reason: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        exit(1);
      },
    );
}

/**
 * The handler of last resort: an exception or rejection nobody handled is written as one redacted
 * JSON line (crash-report.ts), then the gateway drains for at most CRASH_DRAIN_MS and the process
 * exits with 70 (EX_SOFTWARE) so a supervisor restarts it. Before the gateway runs, the line goes
 * to standard error and the process exits at once.
 */
export function installLastResort(gateway: () => Gateway | undefined, secrets: () => readonly string[]): void {
  let crashed = false;
  const onCrash = (kind: CrashKind) => (error: unknown) => {
    const running = gateway();
    const line = crashLine(kind, error, secrets());
    if (crashed) return;
    crashed = true;
    if (!running) {
      process.stderr.write(line);
      process.exit(70);
    }
    running.writeLogLine(line);
    shutdownAndExit(running, 70, CRASH_DRAIN_MS);
  };
  process.on('uncaughtException', onCrash('uncaughtException'));
  process.on('unhandledRejection', onCrash('unhandledRejection'));
}
