/** `config --help` promises to describe configs (issue 12 §5): `config describe` does. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';

test('config --help lists describe, and describe says what a config does: listeners, what is off, each route and its policies', () => {
  const help = runCli(['config', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /check and describe configuration files/);
  assert.match(help.stdout, /^\s+describe \[options\] <file>/m);

  const dir = mkdtempSync(join(tmpdir(), 'portcullis-describe-'));
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(
    file,
    `listeners: [{ name: public, host: 127.0.0.1, port: 8080 }]
admin: { enabled: false }
bruteForce: { enabled: false }
upstreams: { payments: { targets: [http://10.0.0.5:8080] } }
policies: { cors: { allowOrigins: [https://app.example] } }
routes:
  - { name: accounts, methods: [GET], path: /v1/accounts/:id, upstream: payments, rewrite: /accounts/:id }
  - { name: open, methods: [GET], path: /status, upstream: payments, policies: { security-headers: { enabled: false } } }
`,
  );
  const described = runCli(['config', 'describe', file]);
  assert.equal(described.status, 0, described.stderr);
  const out = described.stdout;
  assert.match(out, /public {2}127\.0\.0\.1:8080 {2}http/);
  assert.match(out, /admin {2}OFF \(admin\.enabled: false\)/);
  assert.match(out, /brute-force protection {2}OFF \(bruteForce\.enabled: false\)/);
  assert.match(out, /accounts {2}GET \/v1\/accounts\/:id -> payments as \/accounts\/:id\n {6}.*cors.*security-headers/);
  assert.match(out, /open {2}GET \/status -> payments\n {6}.*cors/);
  assert.doesNotMatch(out, /open {2}GET \/status -> payments\n {6}.*security-headers/);

  writeFileSync(file, 'listeners: []\n');
  const invalid = runCli(['config', 'describe', file]);
  assert.equal(invalid.status, 1);
  assert.match(invalid.stderr, /run `portcullis config validate`/);
});
