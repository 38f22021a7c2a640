/**
 * Keeps what users read in step with the code: the published JSON Schema, every config option in
 * docs/configuration.md, every error code in docs/errors.md and every preflight rule in
 * docs/preflight.md (both directions).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { publishedSchema } from '../src/config/schema.js';
import { ERROR_TABLE, ERROR_CODES } from '../src/core/errors.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type Node = { properties?: Record<string, Node>; patternProperties?: Record<string, Node>; items?: Node };

/** Every option as users write its path: `listeners[].port`, `upstreams.<name>.targets`, `policies.cors.allowOrigins`. */
function optionPaths(node: Node, prefix: string, out: string[]): string[] {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out.push(path);
    // Route-level policies take the same options as global ones, documented once under `policies`.
    if (path === 'routes[].policies' || path === 'contractRoutes[].policies') continue;
    optionPaths(child.items ?? child, child.items ? `${path}[]` : path, out);
  }
  for (const child of Object.values(node.patternProperties ?? {})) optionPaths(child, `${prefix}.<name>`, out);
  return out;
}

test('the published schema file is the schema the loader uses', () => {
  const committed = JSON.parse(read('schema/portcullis.schema.json')) as unknown;
  assert.deepEqual(committed, JSON.parse(JSON.stringify(publishedSchema())), 'run `npm run schema` to regenerate schema/portcullis.schema.json');
});

test('docs/configuration.md documents every config option', () => {
  const docs = read('docs/configuration.md');
  const missing = optionPaths(publishedSchema() as Node, '', []).filter((path) => !docs.includes(`\`${path}\``));
  assert.deepEqual(missing, [], 'options missing from docs/configuration.md');
});

test('docs/configuration.md documents no option that does not exist', () => {
  const docs = read('docs/configuration.md');
  const known = new Set(optionPaths(publishedSchema() as Node, '', []));
  const documented = [...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!);
  assert.ok(documented.length > 20, 'the option tables were found');
  assert.deepEqual(documented.filter((path) => !known.has(path)), [], 'documented options the schema does not have');
});

test('docs/errors.md and the error table list the same codes, with the same status', () => {
  const docs = read('docs/errors.md');
  const sections = new Map([...docs.matchAll(/^## `([a-z_.]+)`\n+\*\*(\d{3})/gm)].map((match) => [match[1]!, Number(match[2])]));
  assert.deepEqual([...sections.keys()].sort(), [...ERROR_CODES].sort(), 'codes in docs/errors.md vs ERROR_TABLE');
  for (const code of ERROR_CODES) assert.equal(sections.get(code), ERROR_TABLE[code].status, `status of ${code}`);
});

test('docs/preflight.md lists every preflight rule with its severity, and no other', async () => {
  const { ALL_RULES } = await import('../src/commands/preflight/runner.js');
  const docs = read('docs/preflight.md');
  const sections = new Map([...docs.matchAll(/^### (PF-[A-Z]+-\d{3})\n+\*\*([a-z]+)\*\*/gm)].map((match) => [match[1]!, match[2]!]));
  assert.deepEqual([...sections.keys()].sort(), [...ALL_RULES.keys()].sort(), 'rule ids in docs/preflight.md vs the checks');
  for (const [id, rule] of ALL_RULES) assert.equal(sections.get(id), rule.severity, `severity of ${id}`);
});
