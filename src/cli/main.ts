#!/usr/bin/env node
/**
 * The `portcullis` command. One file per command group lives beside this one; command-table.ts
 * loads only the group the command line names (so `--version` and `--help` load no gateway code);
 * this file owns process-level concerns (signals, exit codes).
 */
import { readFileSync } from 'node:fs';
import { buildProgram, commandWord } from './command-table.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = await buildProgram(pkg.version, commandWord(process.argv.slice(2)));
await program.parseAsync(process.argv);
