// Release step: the software bill of materials of what the gateway ships (production dependencies
// only), CycloneDX JSON from `npm sbom`, written to sbom/portcullis-<version>.cdx.json (or the
// path given). Publish it with each release (docs/operations.md#releases).
//
// `npm sbom --omit dev` (npm 11.19) leaves out production packages that development tools also
// use (ajv, yaml, commander, ...): so the whole tree's SBOM is taken and kept to the packages
// `npm ls --omit=dev --all` lists, the ones `npm ci --omit=dev` installs in the image.
// Usage: node scripts/sbom.mjs [out-file]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const out = resolve(process.argv[2] ?? resolve(root, 'sbom', `portcullis-${pkg.version}.cdx.json`));

function npm(args) {
  const run = spawnSync('npm', args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (run.status !== 0) {
    process.stderr.write(`sbom: npm ${args.join(' ')} failed: ${run.stderr}\n`);
    process.exit(1);
  }
  return JSON.parse(run.stdout);
}

/** name@version of every package in the production tree. */
function productionPackages() {
  const shipped = new Set();
  const walk = (node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (!child.version || shipped.has(`${name}@${child.version}`)) continue;
      shipped.add(`${name}@${child.version}`);
      walk(child);
    }
  };
  walk(npm(['ls', '--omit=dev', '--all', '--json']));
  return shipped;
}

const shipped = productionPackages();
const bom = npm(['sbom', '--sbom-format', 'cyclonedx']);
const rootRef = bom.metadata.component['bom-ref'];
bom.components = bom.components.filter((component) => shipped.has(component['bom-ref']));
bom.dependencies = bom.dependencies
  .filter((entry) => entry.ref === rootRef || shipped.has(entry.ref))
  .map((entry) => ({ ...entry, dependsOn: (entry.dependsOn ?? []).filter((ref) => shipped.has(ref)) }));
const missing = [...shipped].filter((ref) => !bom.components.some((component) => component['bom-ref'] === ref));
if (missing.length > 0) {
  process.stderr.write(`sbom: npm sbom lacks production packages: ${missing.join(', ')}\n`);
  process.exit(1);
}
// npm names the root component after the folder it runs in; the product is the package.
bom.metadata.component.name = pkg.name;
bom.metadata.component.type = 'application';
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(bom, null, 2)}\n`);
process.stdout.write(`sbom: ${bom.components.length} components → ${out}\n`);
