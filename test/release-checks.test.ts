/**
 * Release and CI checks of the packaging (issue 16): the CycloneDX SBOM of production dependencies
 * (`npm run sbom`) and the advisory gate's reading of `npm audit` (scripts/audit-gate.mjs): a
 * critical advisory fails CI, an advisory service that does not answer is reported as not checked.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The script is plain JavaScript run by .ci/run, outside dist/: loaded from the repository.
const { auditVerdict } = (await import(new URL('../../scripts/audit-gate.mjs', import.meta.url).href)) as typeof import('../scripts/audit-gate.mjs');

describe('release checks', () => {
  test('npm run sbom writes a CycloneDX SBOM of the production dependencies, without the development ones', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'portcullis-sbom-')), 'sbom.json');
    const run = spawnSync(process.execPath, [join(root, 'scripts/sbom.mjs'), out], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const bom = JSON.parse(readFileSync(out, 'utf8')) as { bomFormat: string; specVersion: string; metadata: { component: { name: string } }; components: Array<{ name: string; purl?: string }> };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.metadata.component.name, 'portcullis');
    const names = new Set(bom.components.map((component) => component.name));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies)) assert.ok(names.has(name), `${name} is in the SBOM`);
    for (const name of ['typescript', 'dependency-cruiser', 'kubernetes-models', '@octokit/openapi']) assert.ok(!names.has(name), `${name} (development only) is not`);
    assert.ok(bom.components.every((component) => component.purl?.startsWith('pkg:npm/')), 'every component has a package URL');
  });

  test('the advisory gate fails on a critical advisory, passes without one, and reports an unanswering service as not checked', () => {
    const report = (critical: number) =>
      JSON.stringify({
        auditReportVersion: 2,
        vulnerabilities: critical ? { 'bad-lib': { name: 'bad-lib', severity: 'critical' }, 'meh-lib': { name: 'meh-lib', severity: 'high' } } : {},
        metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: critical ? 1 : 0, critical, total: critical ? critical + 1 : 0 } },
      });
    const failed = auditVerdict(report(1));
    assert.equal(failed.verdict, 'fail');
    assert.match(failed.message, /1 critical advisory\(ies\) in production dependencies: bad-lib$/);
    assert.equal(auditVerdict(report(0)).verdict, 'pass');
    // What npm prints when the advisory service refuses the request (as it does on this machine).
    const refused = auditVerdict(JSON.stringify({ message: '405 Method Not Allowed - POST <registry>/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } }));
    assert.equal(refused.verdict, 'unavailable');
    assert.match(refused.message, /advisory service did not answer \(405 Method Not Allowed/);
    assert.equal(auditVerdict('').verdict, 'unavailable');
  });
});
