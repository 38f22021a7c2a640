import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { buildProgram, COMMAND_GROUPS, commandWord } from './command-table.js';

describe('the lazily loaded command table', () => {
  test('top-level help from the stubs is exactly the help of every group loaded for real', async () => {
    const lazy = await buildProgram('1.2.3', undefined);
    const full = await buildProgram('1.2.3', undefined, true);
    assert.equal(lazy.helpInformation(), full.helpInformation());
  });

  test('names every top-level command a group module registers, and no other', async () => {
    for (const group of COMMAND_GROUPS) {
      const alone = new Command();
      (await group.load())(alone);
      assert.deepEqual(
        alone.commands.map((command) => command.name()).sort(),
        group.commands.map((command) => command.term.split(' ')[0]).sort(),
      );
    }
  });

  test('loads the group the command line names, including after help, and none for --version', async () => {
    assert.equal(commandWord(['--version']), undefined);
    assert.equal(commandWord([]), undefined);
    assert.equal(commandWord(['keys', 'list', '--json']), 'keys');
    assert.equal(commandWord(['--help', 'start']), 'start');
    assert.equal(commandWord(['help', 'certs']), 'certs');
    const program = await buildProgram('1.2.3', 'certs');
    const certs = program.commands.find((command) => command.name() === 'certs');
    assert.deepEqual(certs?.commands.map((command) => command.name()).sort(), ['issue', 'list', 'revoke']);
    const start = program.commands.find((command) => command.name() === 'start');
    assert.equal(start?.options.length, 0, 'start is a stub when another group is named');
  });
});
