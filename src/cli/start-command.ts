import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { collectSecrets, redactText } from '../observability/crash-report.js';
import { Gateway } from '../server/gateway.js';
import { handleSignals, installLastResort } from './signals.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start the gateway with a config file (reloads on SIGHUP and on file change)')
    .requiredOption('-c, --config <file>', 'path to portcullis.yaml (or .json)')
    .action(async (options: { config: string }) => {
      const loaded = await loadConfigFile(options.config);
      if (!loaded.ok) {
        process.stderr.write(`portcullis: ${options.config} is invalid:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      for (const warning of loaded.warnings) process.stderr.write(`portcullis: warning: ${formatIssue(warning)}\n`);
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

/** The error's message on one line, bounded, with secrets redacted. */
function crashReason(error: unknown, secrets: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactText(message.replace(/\s+/g, ' ').slice(0, 500), secrets);
}
