/**
 * `portcullis fields report`: field-usage evidence of one route through the admin API
 * (GET /v1/fields/usage): which allowed response fields were present, per consumer, and with
 * `--unused 90d` which allowed fields no response carried within 90 days (candidates to remove
 * from the route's allowlist; docs/fields.md#field-usage-evidence).
 */
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, CliError, print, table, type AdminOptions } from './admin-client.js';

interface UsageReport {
  route: string;
  allowed: string[];
  usage: Array<Record<string, unknown>>;
  unused?: string[];
}

export function registerFieldsCommand(program: Command): void {
  const fields = program.command('fields').description("field-usage evidence of the fields policy's allowlists, through the admin API");
  addAdminOptions(
    fields
      .command('report')
      .description('which allowed response fields of a route were present, per consumer; with --unused, those no response carried within the window')
      .requiredOption('--route <name>', 'the route name')
      .option('--consumer <id>', "only this consumer's usage ('-' for anonymous callers)")
      .option('--unused <days>', 'a window such as 90d: list the allowed fields not present in any response within it'),
  ).action(
    action(async (options: AdminOptions & { route: string; consumer?: string; unused?: string }) => {
      if (options.unused !== undefined && !/^[1-9][0-9]{0,3}d$/.test(options.unused)) throw new CliError('--unused takes a number of days such as 90d');
      const query = new URLSearchParams({ route: options.route });
      if (options.consumer !== undefined) query.set('consumer', options.consumer);
      if (options.unused !== undefined) query.set('unused', options.unused);
      const report = (await adminCall(options, 'GET', `/v1/fields/usage?${query.toString()}`)) as UsageReport;
      print(options, report, () => {
        if (report.unused !== undefined) return report.unused.length === 0 ? `every allowed field of ${report.route} was present within ${options.unused}\n` : `${report.unused.join('\n')}\n`;
        return report.usage.length === 0 ? `no usage of ${report.route}'s allowed fields recorded yet\n` : table(report.usage, ['path', 'consumer', 'count', 'firstSeen', 'lastSeen']);
      });
    }),
  );
}
