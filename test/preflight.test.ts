/**
 * `portcullis preflight` (issue 22): every seeded fixture in test/fixtures/preflight/ breaks the
 * clean base once and must give exactly its rule (no other finding of any severity); the examples
 * pass through the real CLI with `--fail-on high` (this is CI's gate on examples/); every report
 * format is checked for what it must be (SARIF against the OASIS 2.1.0 schema, JUnit as XML whose
 * text round-trips); the ignore file hides a finding until its expires day, then reports itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Ajv } from 'ajv';
import { create } from 'xmlbuilder2';
import { ManualClock } from '../src/core/clock.js';
import { runCli } from './helpers/cli.js';
import { ALL_RULES, runPreflight } from '../src/commands/preflight/runner.js';
import { applyIgnores, readIgnoreFile } from '../src/commands/preflight/ignore-file.js';
import { junitReport } from '../src/commands/preflight/report/junit.js';
import { configLocator } from '../src/commands/preflight/report/locate.js';
import { sarifReport } from '../src/commands/preflight/report/sarif.js';
import { CHECKS } from '../src/commands/preflight/runner.js';

/** The part of xmlbuilder2's DOM the JUnit test reads. */
interface XmlElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  getElementsByTagName(name: string): Iterable<XmlElement>;
}

/** ajv-draft-04 (the SARIF 2.1.0 schema is draft-04) is CommonJS whose export is the class itself. */
const Ajv04 = createRequire(import.meta.url)('ajv-draft-04') as typeof Ajv;
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/preflight/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const ENV = {
  PREFLIGHT_FIXTURE_PEPPER: 'fixture-pepper-0123456789abcdef0123456789',
  PREFLIGHT_FIXTURE_ADMIN_TOKEN: 'fixture-admin-token-0123456789',
  PREFLIGHT_FIXTURE_SEED: 'fixture-seed-key-0123456789abcdef0123456789',
  PREFLIGHT_FIXTURE_PG_URL: 'postgres://postgres@127.0.0.1:5432/test',
  PREFLIGHT_FIXTURE_REDIS_PASSWORD: 'fixture-redis-password',
  PREFLIGHT_FIXTURE_PD_KEY: 'fixture0pagerduty0routing0key0123',
};
/** Rules whose fixtures need a store with rows or a live endpoint: test/preflight-live.test.ts covers them. */
const LIVE_RULES = new Set(['PF-RATE-002', 'PF-UPSTREAM-001', 'PF-UPSTREAM-002', 'PF-REDIS-003', 'PF-ALERT-002', 'PF-STORE-001', 'PF-ADMIN-003', 'PF-ADMIN-005', 'PF-KEY-001', 'PF-KEY-002', 'PF-OAUTH-001', 'PF-IGNORE-001', 'PF-PREFLIGHT-001', 'PF-DRIFT-001', 'PF-STORE-002']);

const fixtures = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml') && !name.endsWith('.openapi.yaml'));

interface FixtureHeader {
  readonly expect: string[];
  readonly resolveSecrets: boolean;
  /** `# clock: YYYY-MM-DD`: the day preflight runs on (default 2026-06-01). */
  readonly clock: number;
  /** `# where: <config path>`: a finding must be at this path (a PF-CONFIG-001 fixture fails for the reason it names). */
  readonly where: string | undefined;
}

function header(file: string): FixtureHeader {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const expect = /^# expect: (.+)$/m.exec(text)?.[1]?.trim();
  assert.ok(expect, `${file} names the rule it expects (# expect: PF-…)`);
  const clock = /^# clock: (\d{4}-\d{2}-\d{2})$/m.exec(text)?.[1] ?? '2026-06-01';
  return { expect: expect === 'none' ? [] : expect.split(/\s+/), resolveSecrets: /^# options: .*resolve-secrets/m.test(text), clock: Date.parse(`${clock}T00:00:00Z`), where: /^# where: (\S+)$/m.exec(text)?.[1] };
}

async function fixtureReport(file: string, fixture: FixtureHeader) {
  return runPreflight({ configPath: join(FIXTURES, file), env: ENV, clock: new ManualClock(fixture.clock), offline: true, resolveSecrets: fixture.resolveSecrets, timeoutMs: 1000 });
}

describe('preflight fixtures: one broken config per rule', () => {
  for (const file of fixtures) {
    test(`${file} gives exactly its rule`, async () => {
      const fixture = header(file);
      const report = await fixtureReport(file, fixture);
      assert.deepEqual([...new Set(report.findings.map((found) => found.ruleId))].sort(), fixture.expect, JSON.stringify(report.findings));
      if (fixture.where !== undefined) assert.ok(report.findings.some((found) => found.where.path === fixture.where), `a finding at ${fixture.where}: ${JSON.stringify(report.findings)}`);
    });
  }

  test('every rule has a fixture here or a live test', () => {
    const covered = new Set(fixtures.flatMap((file) => header(file).expect));
    const missing = [...ALL_RULES.keys()].filter((id) => !covered.has(id) && !LIVE_RULES.has(id));
    assert.deepEqual(missing, []);
  });
});

describe('preflight through the CLI', () => {
  for (const example of readdirSync(EXAMPLES).filter((name) => name.endsWith('.yaml') && !name.includes('openapi'))) {
    test(`examples/${example} has no high or critical finding (exit 0 with --fail-on high)`, () => {
      const result = runCli(['preflight', '--config', join(EXAMPLES, example), '--offline', '--no-resolve-secrets', '--fail-on', 'high', '--format', 'json']);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout) as { findings: Array<{ severity: string }> };
      assert.deepEqual(report.findings.filter((found) => ['critical', 'high'].includes(found.severity)), []);
    });
  }

  test('--fail-on decides the exit code: a medium finding fails at medium (and passed at high above)', () => {
    const failing = runCli(['preflight', '--config', join(FIXTURES, 'pf-rate-001.yaml'), '--offline', '--no-resolve-secrets', '--fail-on', 'medium'], ENV);
    assert.equal(failing.status, 1);
    assert.match(failing.stdout, /^MEDIUM \(1\)$/m);
    assert.match(failing.stdout, /PF-RATE-001 {2}route get-thing \(GET \/things\/:id\) has no rate limit/);
    assert.match(failing.stdout, /where: routes\[0\]\.policies\.ratelimit \(.*pf-rate-001\.yaml:\d+\)/);
    // Not a TTY: no colour codes.
    assert.doesNotMatch(failing.stdout, /\u001b\[/);
  });
});

describe('preflight report formats', () => {
  test('SARIF output is valid against the OASIS SARIF 2.1.0 schema and locates the finding by line', async () => {
    const file = join(FIXTURES, 'pf-tls-001.yaml');
    const report = await runPreflight({ configPath: file, env: ENV, clock: new ManualClock(), offline: true, resolveSecrets: false, timeoutMs: 1000 });
    const sarif = JSON.parse(JSON.stringify(sarifReport(report, ALL_RULES, configLocator(file), '0.0.0-test', FIXTURES))) as any;
    const schemaPath = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    // The schema's patterns are written for non-unicode regular expressions.
    const validate = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
    assert.equal(validate(sarif), true, JSON.stringify(validate.errors));
    // And the check bites: a result without a message is refused by the same schema.
    assert.equal(validate({ ...sarif, runs: [{ ...sarif.runs[0], results: [{ ruleId: 'PF-TLS-001' }] }] }), false);
    const [run] = sarif.runs;
    assert.equal(run.tool.driver.rules.length, ALL_RULES.size);
    assert.equal(run.results.length, 1);
    assert.equal(run.results[0].ruleId, 'PF-TLS-001');
    assert.equal(run.results[0].level, 'error');
    assert.equal(run.tool.driver.rules[run.results[0].ruleIndex].id, 'PF-TLS-001');
    assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'pf-tls-001.yaml');
    // listeners[0] is on line 4 of the fixture (two comment lines, then `listeners:`).
    assert.equal(run.results[0].locations[0].physicalLocation.region.startLine, 4);
    assert.equal(run.results[0].locations[0].logicalLocations[0].fullyQualifiedName, 'listeners[0]');
  });

  test('JUnit output is XML whose text round-trips, markup in a message included', () => {
    const message = 'a <b>&"quoted"</b> ]]> message';
    const xml = junitReport({ configPath: 'x.yaml', findings: [{ ruleId: 'PF-BRUTE-001', severity: 'high', message, where: { path: 'bruteForce.enabled' } }], ignored: 0, offline: true, checks: [] }, CHECKS, ALL_RULES);
    const root = create(xml).root().node as unknown as XmlElement;
    assert.equal(root.getAttribute('failures'), '1');
    assert.equal(Number(root.getAttribute('tests')), ALL_RULES.size);
    const failures = [...root.getElementsByTagName('failure')];
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.getAttribute('message'), message);
    assert.equal(failures[0]!.getAttribute('type'), 'high');
    assert.match(failures[0]!.textContent ?? '', /^a <b>&"quoted"<\/b> \]\]> message\nwhere: bruteForce\.enabled\nwhy: OWASP API2:2023/);
  });
});

describe('preflight runs every check', () => {
  test('a check that throws is a finding (PF-PREFLIGHT-001) and the checks after it still run', async () => {
    const broken = { name: 'broken', rules: [], run: () => { throw new Error('boom'); } };
    const report = await runPreflight({ configPath: join(FIXTURES, 'pf-rate-001.yaml'), env: ENV, clock: new ManualClock(), offline: true, resolveSecrets: false, timeoutMs: 1000, checks: [broken, ...CHECKS] });
    assert.deepEqual(report.findings.map((found) => [found.ruleId, found.message]), [['PF-PREFLIGHT-001', 'the broken check failed: boom'], ['PF-RATE-001', 'route get-thing (GET /things/:id) has no rate limit']]);
  });
});

describe('preflight ignore file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-preflight-ignore-'));
  const file = join(FIXTURES, 'pf-rate-001.yaml');

  test('a live entry hides its finding; an expired one hides nothing and is a finding itself', async () => {
    const ignore = join(dir, 'live.yaml');
    writeFileSync(ignore, 'ignores:\n  - rule: PF-RATE-001\n    where: routes[0]\n    reason: limited upstream (SEC-1)\n    expires: 2999-12-31\n');
    const live = await runPreflight({ configPath: file, env: ENV, clock: new ManualClock(Date.parse('2026-06-01T00:00:00Z')), offline: true, resolveSecrets: false, timeoutMs: 1000, ignores: { file: ignore, entries: await readIgnoreFile(ignore) } });
    assert.deepEqual(live.findings, []);
    assert.equal(live.ignored, 1);
    const expired = applyIgnores([{ ruleId: 'PF-RATE-001', severity: 'medium', message: 'x', where: { path: 'routes[0].policies.ratelimit' } }], [{ rule: 'PF-RATE-001', reason: 'r', expires: '2026-05-31' }], Date.parse('2026-06-01T00:00:00Z'), 'ignore.yaml');
    assert.deepEqual(expired.findings.map((found) => found.ruleId), ['PF-RATE-001', 'PF-IGNORE-001']);
    assert.equal(expired.findings[1]!.where.path, 'ignore.yaml#ignores[0]');
    // The entry still works through its expires day.
    assert.equal(applyIgnores(expired.findings.slice(0, 1), [{ rule: 'PF-RATE-001', reason: 'r', expires: '2026-06-01' }], Date.parse('2026-06-01T23:59:00Z'), 'i').findings.length, 0);
  });

  test('an entry without reason or expires is refused (exit 2), naming what is missing', () => {
    const ignore = join(dir, 'bad.yaml');
    writeFileSync(ignore, 'ignores:\n  - rule: PF-RATE-001\n');
    const result = runCli(['preflight', '--config', file, '--offline', '--no-resolve-secrets', '--ignore', ignore]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not a valid ignore file: .*\(reason\).*\(expires\)/);
  });
});
