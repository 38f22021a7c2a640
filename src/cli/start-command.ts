import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import { Gateway } from '../server/gateway.js';
import { handleSignals } from './signals.js';

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
      let gateway: Gateway;
      try {
        gateway = await Gateway.start({ config: loaded.config, configPath: options.config });
      } catch (error) {
        // A port in use, an unreachable store, a short pepper: say what, without a stack trace.
        process.stderr.write(`portcullis: could not start: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (loaded.config.lifecycle.watchConfigFile) gateway.watchConfigFile();
      handleSignals(gateway);
    });
}
