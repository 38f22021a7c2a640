/**
 * `portcullis admin break-glass`: re-enables the bootstrap token (`admin.token`) from the host, when
 * no owner can sign in (docs/admin.md#bootstrap-and-break-glass). It needs the config file and
 * access to the store: that is what makes it a host-level action. The switch is written through the
 * unit of work (action `admin.break_glass`, audited) and logged as the warning event
 * `admin.break_glass` on standard error, for alerting.
 */
import type { Command } from 'commander';
import { BootstrapTokenSwitch } from '../admin/bootstrap-token.js';
import { createLogger } from '../observability/logger.js';
import { action, CliError } from './admin-client.js';
import { cliActor, openCliStore } from './store-access.js';

export function registerAdminCommand(program: Command): void {
  const admin = program.command('admin').description('host-level admin actions that need the config and the store (break-glass)');
  admin
    .command('break-glass')
    .description('re-enable the bootstrap token (admin.token) for a while, when no owner can sign in; audited and logged as a warning')
    .requiredOption('-c, --config <file>', 'the gateway config (for the store)')
    .option('--for <minutes>', 'how long the bootstrap token works again (it also stops when an owner next sets a password)', '60')
    .action(
      action(async (options: { config: string; for: string }) => {
        const minutes = Number(options.for);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new CliError('--for takes whole minutes from 1 to 1440');
        const store = await openCliStore(options.config);
        try {
          const actor = { ...cliActor(), credentialId: 'break-glass' };
          const state = await new BootstrapTokenSwitch(store, false).breakGlass(actor, Date.now() + minutes * 60_000);
          const until = new Date(state.enabledUntil!).toISOString();
          createLogger({ level: 'warn', redactHeaders: [] }, process.stderr).warn({ event: 'admin.break_glass', actor: `${actor.kind}:${actor.id}`, until }, 'break-glass: the bootstrap token works again');
          process.stdout.write(`the bootstrap token (admin.token) works again until ${until}, or until an owner next sets a password\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
