import type { Command } from 'commander';
import { formatIssue, loadConfigFile } from '../config/loader.js';
import type { ConfigIssue } from '../core/policy.js';

/** Valid but likely a mistake: on stderr, one line each, before the verdict. */
export function writeWarnings(warnings: readonly ConfigIssue[]): void {
  for (const warning of warnings) process.stderr.write(`warning: ${formatIssue(warning)}\n`);
}
import { publishedSchema } from '../config/schema.js';
import { describeConfig } from './config-describe.js';
import { registerConfigHistoryCommands } from './config-history-command.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check and describe configuration files');

  config
    .command('validate')
    .description('check a config file; prints every error with its path and exits 1 if there is any')
    .argument('<file>', 'path to portcullis.yaml (or .json)')
    .option('--json', 'print the result as JSON')
    .option('--no-resolve-secrets', 'for CI without production secrets and files: check that secrets are references without looking them up, and skip reading certificate, key and geo files')
    .action(async (file: string, options: { json?: boolean; resolveSecrets: boolean }) => {
      let loaded = await loadConfigFile(file, process.env, { resolveSecrets: options.resolveSecrets });
      // `${secret:NAME}` against the config's store, loaded only when the config names one.
      if (loaded.ok && options.resolveSecrets && loaded.config.vault) {
        const checked = await (await import('./vault-reference-check.js')).checkVaultReferences(loaded.config);
        loaded = checked.issues.length > 0 ? { ok: false, issues: checked.issues } : { ...loaded, warnings: [...loaded.warnings, ...checked.warnings] };
      }
      if (options.json) {
        const result = loaded.ok
          ? { valid: true, file, routes: loaded.config.routes.length, upstreams: Object.keys(loaded.config.upstreams).length, warnings: loaded.warnings }
          : { valid: false, file, errors: loaded.issues };
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else if (loaded.ok) {
        writeWarnings(loaded.warnings);
        process.stdout.write(`${file} is valid: ${loaded.config.routes.length} routes, ${Object.keys(loaded.config.upstreams).length} upstreams${loaded.warnings.length > 0 ? ` (${loaded.warnings.length} warning${loaded.warnings.length === 1 ? '' : 's'})` : ''}\n`);
      } else {
        process.stderr.write(`${file} has ${loaded.issues.length} error${loaded.issues.length === 1 ? '' : 's'}:\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}\n`);
      }
      if (!loaded.ok) process.exitCode = 1;
    });

  config
    .command('describe')
    .description('describe a valid config in plain words: listeners, what is off, upstreams, and each route with the policies that run on it')
    .argument('<file>', 'path to portcullis.yaml (or .json)')
    .option('--no-resolve-secrets', 'for CI without production secrets and files (as for validate)')
    .action(async (file: string, options: { resolveSecrets: boolean }) => {
      const loaded = await loadConfigFile(file, process.env, { resolveSecrets: options.resolveSecrets });
      if (!loaded.ok) {
        process.stderr.write(`${file} has ${loaded.issues.length} error${loaded.issues.length === 1 ? '' : 's'} (run \`portcullis config validate\`):\n${loaded.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(describeConfig(file, loaded.config));
    });

  registerConfigHistoryCommands(config);

  config
    .command('schema')
    .description("print the config file's JSON Schema (for editors; also in schema/portcullis.schema.json)")
    .action(() => {
      process.stdout.write(`${JSON.stringify(publishedSchema(), null, 2)}\n`);
    });
}
