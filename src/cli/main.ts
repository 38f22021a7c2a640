#!/usr/bin/env node
/**
 * The `portcullis` command. One file per command group lives beside this one; this file wires
 * them into commander and owns process-level concerns (signals, exit codes).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCaCommands } from './ca-command.js';
import { registerClientsCommand } from './clients-command.js';
import { registerConfigCommands } from './config-commands.js';
import { registerConsumersCommand } from './consumers-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerLimitsCommand } from './limits-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerSigningKeysCommand } from './signing-keys-command.js';
import { registerStartCommand } from './start-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('portcullis')
  .description('A self-hosted gateway that secures API integrations in both directions.')
  .version(pkg.version, '-v, --version', 'print the version')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerStartCommand(program);
registerConfigCommands(program);
registerCaCommands(program);
registerDemoCommand(program);
registerConsumersCommand(program);
registerKeysCommand(program);
registerLimitsCommand(program);
registerMigrateCommand(program);
registerClientsCommand(program);
registerSigningKeysCommand(program);

await program.parseAsync(process.argv);
