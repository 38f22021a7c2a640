/** SIGTERM/SIGINT drain and stop; SIGHUP reloads. A second stop signal exits at once. */
import type { Gateway } from '../server/gateway.js';

export function handleSignals(gateway: Gateway, onStopped: () => Promise<void> = async () => {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      gateway.logger.warn({ event: 'gateway.forced_exit', signal }, 'second stop signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    gateway
      .close()
      .then(onStopped)
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        gateway.logger.error({ event: 'gateway.stop_failed', err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void gateway.reloadFromFile());
}
