import { InvalidArgumentError, type Command } from 'commander';
import { startDemo } from '../demo/demo.js';
import { action, port } from './admin-client.js';
import { handleSignals } from './signals.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 600) throw new InvalidArgumentError('--alert-interval must be a whole number of seconds from 1 to 600');
  return n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the gateway in front of a built-in sample payments API, and print what to try')
    .option('-p, --port <port>', 'gateway port (0 picks a free one)', port('--port'), 8080)
    .option('--admin-port <port>', 'admin port (0 picks a free one)', port('--admin-port'), 9901)
    .option('--json', 'print the addresses as one JSON line instead of the tour')
    .option('--alert-interval <seconds>', "the alerts' evaluation and group interval and upstream_down's for duration (default 5, 5 and 10 s)", seconds)
    .action(
      action(async (options: { port: number; adminPort: number; json?: boolean; alertInterval?: number }) => {
        const demo = await startDemo({ port: options.port, adminPort: options.adminPort, alertIntervalSeconds: options.alertInterval });
        // Before anything is printed: a signal sent as soon as the addresses appear must find its handler.
        handleSignals(demo.gateway, async () => {
          await demo.console.close();
          await demo.upstream.close();
        });
        if (options.json) process.stdout.write(`${JSON.stringify({ gateway: demo.gateway.url(), admin: demo.gateway.adminUrl, adminConsole: `${demo.gateway.adminUrl}/console/`, upstream: demo.upstream.url, console: demo.console.url, keys: demo.keys, owner: demo.owner })}\n`);
        else process.stdout.write(demo.tour);
      }),
    );
}
