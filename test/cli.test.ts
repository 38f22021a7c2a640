import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
const badConfig = join(dir, 'bad.yaml');
writeFileSync(
  badConfig,
  `listeners:
  - name: public
    port: 8080
upstreams:
  payments:
    targets: [http://10.0.0.5:8080]
    auth: { type: bearer, token: sk_live_literal_secret }
routes:
  - { name: a, methods: [GET], path: /a, upstream: payments }
  - { name: b, methods: [GET], path: /b, upstream: payments }
  - { name: c, methods: [GET], path: /c, upstream: paymnts }
`,
);
const goodConfig = join(dir, 'good.json');
writeFileSync(goodConfig, JSON.stringify({ listeners: [{ name: 'p', port: 8080 }], upstreams: { u: { targets: ['http://10.0.0.5'] } }, routes: [{ name: 'a', methods: ['GET'], path: '/a', upstream: 'u' }] }));

describe('the portcullis CLI', () => {
  test('config validate lists every error with its path and exits 1', () => {
    const result = runCli(['config', 'validate', badConfig]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /has 2 errors/);
    assert.match(result.stderr, /routes\[2\]\.upstream: unknown upstream "paymnts" \(did you mean "payments"\?\)/);
    assert.match(result.stderr, /upstreams\.payments\.auth\.token: is a secret/);
    assert.doesNotMatch(result.stderr + result.stdout, /sk_live_literal_secret/);
  });

  test('config validate --json prints machine-readable errors', () => {
    const result = runCli(['config', 'validate', '--json', badConfig]);
    assert.equal(result.status, 1);
    const parsed = JSON.parse(result.stdout) as { valid: boolean; errors: Array<{ path: string; message: string }> };
    assert.equal(parsed.valid, false);
    assert.deepEqual(parsed.errors.map((e) => e.path).sort(), ['routes[2].upstream', 'upstreams.payments.auth.token']);
  });

  test('config validate accepts a valid JSON file and exits 0', () => {
    const result = runCli(['config', 'validate', '--json', goodConfig]);
    assert.equal(result.status, 0);
    assert.equal((JSON.parse(result.stdout) as { valid: boolean }).valid, true);
  });

  test('config validate reports a missing file', () => {
    const result = runCli(['config', 'validate', join(dir, 'nope.yaml')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /file not found/);
  });

  test('start refuses an invalid config with every error and exit 1', () => {
    const result = runCli(['start', '--config', badConfig]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /routes\[2\]\.upstream/);
  });

  test('has --help on every command and --version', () => {
    for (const args of [['--help'], ['start', '--help'], ['config', '--help'], ['config', 'validate', '--help'], ['config', 'schema', '--help'], ['demo', '--help']]) {
      const result = runCli(args);
      assert.equal(result.status, 0, args.join(' '));
      assert.match(result.stdout, /Usage: portcullis/);
    }
    assert.match(runCli(['--version']).stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('config schema prints the JSON Schema', () => {
    const schema = JSON.parse(runCli(['config', 'schema']).stdout) as { title: string; properties: Record<string, unknown> };
    assert.equal(schema.title, 'Portcullis configuration');
    assert.ok(schema.properties.routes);
  });
});
