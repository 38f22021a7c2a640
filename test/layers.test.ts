/**
 * The layer rules (.dependency-cruiser.cjs, docs/architecture.md) bite: a fixture tree breaks every
 * rule once, in the smallest way (a type-only import among them), and the check must report
 * exactly those imports and nothing the layers allow. So a rule emptied or loosened by mistake, or
 * a new rule without a case here, fails this test; `npm test` checks src/ itself (lint:layers).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = fileURLToPath(new URL('../../', import.meta.url));
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[]; options: Record<string, unknown> };

/** Each fixture file and what it imports: `type:` marks a type-only import. */
const FIXTURE: Record<string, string[]> = {
  // Allowed: leaves import leaves, core imports leaves, a policy core + leaves + its own folder.
  'src/net/cidr.ts': [],
  'src/http/router.ts': ['../net/cidr.js'],
  'src/core/context.ts': ['../http/router.js', 'type:./policy.js'],
  'src/core/policy.ts': ['type:./context.js', 'type:../ratelimit/store.js'],
  'src/policies/alpha/index.ts': ['../../core/policy.js', '../../net/cidr.js', './helper.js', '../../server/router.js', '../beta/index.js'],
  'src/policies/alpha/helper.ts': [],
  'src/policies/alpha/alpha.test.ts': ['../../server/gateway.js'],
  'src/policies/beta/index.ts': ['../../core/policy.js'],
  'src/policies/index.ts': ['./alpha/index.js', './beta/index.js', '../core/policy.js', '../server/router.js'],
  'src/config/schema.ts': ['../policies/index.js', '../core/policy.js', '../net/cidr.js', '../keys/key-index.js'],
  // A service may name its config section's type, never run config code.
  'src/pki/revocation.ts': ['type:../config/schema.js'],
  'src/oauth/open-oauth.ts': ['../config/schema.js', '../store/db.js'],
  'src/ratelimit/store.ts': [],
  'src/geo/lookup.ts': ['../server/router.js'],
  'src/keys/key-index.ts': ['../store/db.js', '../core/context.js'],
  'src/store/db.ts': ['type:../keys/key-index.js'],
  'src/server/router.ts': [],
  'src/server/gateway.ts': ['../policies/index.js', '../policies/beta/index.js', '../config/schema.js', '../cli/main.js'],
  'src/cli/main.ts': ['../server/gateway.js'],
  // commands/ (preflight) sits between the entry points and the composition root.
  'src/commands/preflight.ts': ['../server/gateway.js', '../config/schema.js', 'type:../cli/main.js'],
  'src/admin/plane.ts': ['../server/router.js', '../commands/preflight.js'],
  // A runtime cycle between two leaves, which also leaves net/ for http/.
  'src/net/a.ts': ['./b.js', 'type:../core/context.js'],
  'src/net/b.ts': ['./a.js'],
  // The browser console imports its own folder only, never the server side.
  'src/console/app/api.ts': [],
  'src/console/app/main.ts': ['./api.js', 'type:../../core/context.js'],
  // A folder no layer names.
  'src/mystery/thing.ts': ['../net/cidr.js'],
};

/** What the check must report: `rule from → to` (a cycle: `rule` and its modules), all of it and nothing else. */
const EXPECTED = [
  'core-imports-only-leaves src/core/policy.ts → src/ratelimit/store.ts',
  'leaves-import-only-leaves src/net/a.ts → src/core/context.ts',
  'policies-import-core-and-leaves src/policies/alpha/index.ts → src/server/router.ts',
  'policies-import-core-and-leaves src/policies/alpha/index.ts → src/policies/beta/index.ts',
  'registry-imports-policies-and-core src/policies/index.ts → src/server/router.ts',
  'only-the-registry-imports-policies src/server/gateway.ts → src/policies/beta/index.ts',
  'config-imports-registry-core-and-leaves src/config/schema.ts → src/keys/key-index.ts',
  'services-use-config-types-only src/oauth/open-oauth.ts → src/config/schema.ts',
  'services-stay-below-composition src/geo/lookup.ts → src/server/router.ts',
  'store-is-the-lowest-service src/store/db.ts → src/keys/key-index.ts',
  'composition-never-imports-entry-points src/server/gateway.ts → src/cli/main.ts',
  'every-folder-has-a-layer src/mystery/thing.ts → src/net/cidr.ts',
  'console-is-a-browser-bundle src/console/app/main.ts → src/core/context.ts',
  'commands-never-import-entry-points src/commands/preflight.ts → src/cli/main.ts',
  'only-entry-points-import-commands src/admin/plane.ts → src/commands/preflight.ts',
  // Cycles, named by the modules on them. Type-only ones count.
  'no-circular src/net/a.ts src/net/b.ts',
  'no-circular src/core/context.ts src/core/policy.ts',
  'no-circular src/keys/key-index.ts src/store/db.ts',
  'no-circular src/cli/main.ts src/server/gateway.ts',
].sort();

const fixtureDir = mkdtempSync(join(tmpdir(), 'portcullis-layers-'));
after(() => rmSync(fixtureDir, { recursive: true, force: true }));

function writeFixture(): void {
  for (const [file, imports] of Object.entries(FIXTURE)) {
    const lines = imports.map((spec, i) => (spec.startsWith('type:') ? `import type { T as T${i} } from '${spec.slice(5)}';` : `import { v as v${i} } from '${spec}';`));
    const uses = imports.map((spec, i) => (spec.startsWith('type:') ? `T${i}` : `typeof v${i}`));
    lines.push(`export type T = ${uses.length > 0 ? uses.join(' | ') : 'never'};`, 'export const v = 1;');
    mkdirSync(dirname(join(fixtureDir, file)), { recursive: true });
    writeFileSync(join(fixtureDir, file), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(fixtureDir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
}

async function violations(baseDir: string): Promise<string[]> {
  const { tsConfig: _ignored, ...options } = config.options;
  const result = await cruise(['src'], { ...options, baseDir, ruleSet: { forbidden: config.forbidden }, validate: true }, {}, { tsConfig: extractTSConfig(join(baseDir, 'tsconfig.json')) });
  const summary = (result.output as ICruiseResult).summary;
  // A cycle is named by its modules, whichever of its imports the check happens to report.
  return summary.violations.map((v) => (v.cycle ? `${v.rule.name} ${[...new Set([v.from, ...v.cycle.map((step) => step.name)])].sort().join(' ')}` : `${v.rule.name} ${v.from} → ${v.to}`));
}

test('every layer rule reports the import that breaks it, type-only imports included, and nothing the layers allow', async () => {
  writeFixture();
  const found = [...new Set(await violations(fixtureDir))].sort();
  assert.deepEqual(found, [...new Set(EXPECTED)].sort());
});

test('every rule in .dependency-cruiser.cjs has a case in the fixture, so none can be emptied unnoticed', () => {
  const covered = new Set(EXPECTED.map((line) => line.split(' ')[0]));
  assert.deepEqual(config.forbidden.map((rule) => rule.name).sort(), [...covered].sort());
});
