/**
 * `portcullis alerts`: the alert engine through the admin API (docs/alerts.md): `list` the alerts
 * firing and pending, `silence` alerts by label matchers with a reason and a duration, `unsilence`
 * one, and `test <rule> --sink <name>` to send a sample alert through the real path (queue,
 * signature, retries) to one sink.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { action, addAdminOptions, adminCall, adminList, CliError, print, table, type AdminOptions } from './admin-client.js';

const DURATION = /^([1-9][0-9]{0,4})([mhd])$/;
const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86400 };

/** `2h` → 7200; throws a CliError for anything else. */
function durationSeconds(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new CliError('--for takes a duration such as 30m, 2h or 1d');
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

/** `rule=upstream_down upstream=core` → { rule: 'upstream_down', upstream: 'core' }. */
function matchers(pairs: readonly string[]): Record<string, string> {
  if (pairs.length === 0) throw new CliError('name at least one label=value matcher (rule=…, route=…, upstream=…)');
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new CliError(`"${pair}" is not label=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('alerts firing now, silences and test notifications, through the admin API');
  addAdminOptions(alerts.command('list').description('the alerts firing and pending, and the silences in force').option('--silences', 'list the silences instead')).action(
    action(async (options: AdminOptions & { silences?: boolean }) => {
      if (options.silences) {
        const silences = await adminList<Record<string, unknown>>(options, '/v1/alerts/silences');
        print(options, silences, () => (silences.length === 0 ? 'no silence in force\n' : table(silences.map((s) => ({ ...s, matchers: JSON.stringify(s.matchers) })), ['id', 'matchers', 'author', 'reason', 'endsAt'])));
        return;
      }
      const items = await adminList<Record<string, unknown>>(options, '/v1/alerts');
      const rows = items.map((item) => ({ ...item, labels: Object.entries(item.labels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' '), hidden: (item.silencedBy as string[]).length > 0 ? 'silenced' : item.inhibited ? 'inhibited' : '' }));
      print(options, items, () => (items.length === 0 ? 'no alert is firing or pending\n' : table(rows, ['rule', 'state', 'severity', 'labels', 'startsAt', 'hidden', 'summary'])));
    }),
  );
  addAdminOptions(
    alerts
      .command('silence')
      .description('silence the alerts carrying all the given labels, for a while, with a reason (audited)')
      .argument('<matchers...>', 'label=value pairs, e.g. rule=route_error_ratio route=payments')
      .requiredOption('--for <duration>', 'how long: 30m, 2h, 1d (at most 90d)')
      .requiredOption('--reason <text>', 'why (kept in the audit trail)'),
  ).action(
    action(async (pairs: string[], options: AdminOptions & { for: string; reason: string }) => {
      const silence = (await adminCall(options, 'POST', '/v1/alerts/silences', { matchers: matchers(pairs), reason: options.reason, durationSeconds: durationSeconds(options.for) })) as Record<string, unknown>;
      print(options, silence, () => `silence ${String(silence.id)} in force until ${String(silence.endsAt)}\n`);
    }),
  );
  addAdminOptions(alerts.command('unsilence').description('end a silence now (audited)').argument('<id>', 'the silence id (alerts list --silences)')).action(
    action(async (id: string, options: AdminOptions) => {
      const silence = (await adminCall(options, 'DELETE', `/v1/alerts/silences/${encodeURIComponent(id)}`)) as Record<string, unknown>;
      print(options, silence, () => `silence ${String(silence.id)} ended\n`);
    }),
  );
  addAdminOptions(
    alerts
      .command('test')
      .description('send a sample alert of a rule to one sink through the real path (queue, signature, retries)')
      .argument('<rule>', 'a built-in rule, e.g. upstream_down')
      .requiredOption('--sink <name>', 'a sink of alerts.sinks'),
  ).action(
    action(async (rule: string, options: AdminOptions & { sink: string }) => {
      const result = (await adminCall(options, 'POST', '/v1/alerts/test', { rule, sink: options.sink })) as { notification: string; delivered: boolean };
      print(options, result, () => (result.delivered ? `delivered ${result.notification} to ${options.sink}\n` : `queued ${result.notification} for ${options.sink}: not delivered yet (see alerts.notification_failed in the log); it is retried\n`));
      if (!result.delivered) process.exitCode = 1;
    }),
  );
  alerts
    .command('export')
    .description('write the built-in rules over /metrics as Prometheus alerting rules (YAML), with the config\'s overrides')
    .requiredOption('--format <format>', 'prometheus-rules')
    .option('--config <file>', 'the gateway config whose alerts.rules overrides apply (default: the built-in rules as shipped)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(
      action(async (options: { format: string; config?: string; out?: string }) => {
        if (options.format !== 'prometheus-rules') throw new CliError('--format must be prometheus-rules');
        const { exportPrometheusRules } = await import('./alerts-export.js');
        const text = await exportPrometheusRules(options.config);
        if (options.out) await writeFile(options.out, text);
        else process.stdout.write(text);
      }),
    );
}
