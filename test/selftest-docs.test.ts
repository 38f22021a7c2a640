/** docs/selftest.md lists every selftest probe with its severity, and no other (both directions). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_PROBES } from '../src/commands/selftest/runner.js';

test('docs/selftest.md lists every selftest probe with its severity, and no other', () => {
  const docs = readFileSync(new URL('../../docs/selftest.md', import.meta.url), 'utf8');
  const sections = new Map([...docs.matchAll(/^### (ST-[A-Z]+-\d{3})\n+\*\*([a-z]+)\*\*/gm)].map((match) => [match[1]!, match[2]!]));
  assert.deepEqual([...sections.keys()].sort(), [...ALL_PROBES.keys()].sort(), 'probe ids in docs/selftest.md vs the probes');
  for (const [id, probe] of ALL_PROBES) assert.equal(sections.get(id), probe.severity, `severity of ${id}`);
});
