/**
 * `config validate` reports everything `start` would refuse, all at once (issue 12 §5): missing
 * environment variables with the other errors, start-only rules (secret lengths, unreadable or
 * mismatched certificate files, a missing geo database), a policy check that throws, one error per
 * contractRoutes mistake at the place it was written, "did you mean" for policy names, YAML
 * syntax errors with line, column and excerpt, and no internal schema paths in contract errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { formatIssue, loadConfigFile, loadConfigText, validateConfig } from '../src/config/loader.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { PAYMENTS_CONTRACT, writeContract } from './helpers/contracts.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-validate-'));

const base = () => ({
  listeners: [{ name: 'public', port: 8080 }],
  upstreams: { payments: { targets: ['http://10.0.0.5:8080'] } },
  routes: [{ name: 'accounts', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'payments' }] as Array<Record<string, unknown>>,
});

function issuesOf(raw: unknown, env: NodeJS.ProcessEnv = {}, options: { resolveSecrets?: boolean } = {}): string[] {
  const result = validateConfig(raw, env, options);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.issues.map(formatIssue);
}

function includes(issues: string[], line: string | RegExp): void {
  const found = typeof line === 'string' ? issues.includes(line) : issues.some((issue) => line.test(issue));
  assert.ok(found, `missing ${String(line)} in:\n${issues.join('\n')}`);
}

describe('config validate reports everything at once', () => {
  test('a missing environment variable is reported with the schema and semantic errors, not after them', () => {
    const raw = { ...base(), upstreams: { payments: { targets: ['http://10.0.0.5:8080'], auth: { type: 'bearer', token: '${env:PAYMENTS_TOKEN}' } } } } as any;
    raw.listeners[0].colour = 'blue';
    raw.routes[0].upstream = 'paymnts';
    const issues = issuesOf(raw, {});
    includes(issues, 'listeners[0].colour: unknown option');
    includes(issues, 'routes[0].upstream: unknown upstream "paymnts" (did you mean "payments"?)');
    includes(issues, 'upstreams.payments.auth.token: environment variable PAYMENTS_TOKEN is not set');
  });

  test('secrets shorter than start allows are refused at load: admin token, pepper, OAuth signing secret', () => {
    const raw = {
      ...base(),
      store: { path: ':memory:' },
      apiKeys: { pepper: '${env:PEPPER}' },
      admin: { token: '${env:ADMIN_TOKEN}' },
      oauth: { issuer: 'http://127.0.0.1:8080', audience: 'api', signingKeySecret: '${env:SIGNING}' },
    };
    const env = { PEPPER: 'p'.repeat(31), ADMIN_TOKEN: 't'.repeat(23), SIGNING: 's'.repeat(31) };
    const issues = issuesOf(raw, env);
    includes(issues, /^admin\.token: must be at least 24 characters \(\$\{env:ADMIN_TOKEN\} has fewer\)/);
    includes(issues, /^apiKeys\.pepper: must be at least 32 characters \(\$\{env:PEPPER\} has fewer\)/);
    includes(issues, /^oauth\.signingKeySecret: must be at least 32 characters \(\$\{env:SIGNING\} has fewer\)/);
    assert.doesNotMatch(issues.join('\n'), /ppppp|ttttt|sssss/, 'never the value');
    // At the minimum, they pass.
    assert.ok(validateConfig(raw, { PEPPER: 'p'.repeat(32), ADMIN_TOKEN: 't'.repeat(24), SIGNING: 's'.repeat(32) }).ok);
    // Without resolving secrets (CI), lengths cannot be known and are not guessed at.
    assert.ok(validateConfig(raw, {}, { resolveSecrets: false }).ok);
  });

  describe('files start reads', () => {
    let pki: TestPki;
    before(async () => {
      pki = await makeTestPki();
    });

    test('a listener certificate, key or client CA file that cannot be read is reported with its path', () => {
      const raw = base() as any;
      raw.listeners[0].tls = { certFile: join(dir, 'missing-cert.pem'), keyFile: pki.serverKey, clientCertificates: { mode: 'required', caFiles: [pki.caBundle, join(dir, 'missing-ca.pem')] } };
      const issues = issuesOf(raw);
      includes(issues, `listeners[0].tls.certFile: cannot read ${join(dir, 'missing-cert.pem')}: file not found`);
      includes(issues, `listeners[0].tls.clientCertificates.caFiles[1]: cannot read ${join(dir, 'missing-ca.pem')}: file not found`);
    });

    test('a key that does not match its certificate is refused, as start would', () => {
      const raw = base() as any;
      raw.listeners[0].tls = { certFile: pki.serverCert, keyFile: pki.client.key };
      includes(issuesOf(raw), /^listeners\[0\]\.tls: the certificate and key do not make a TLS context: .*key values mismatch/);
      raw.listeners[0].tls = { certFile: pki.serverCert, keyFile: pki.serverKey };
      assert.ok(validateConfig(raw, {}).ok, 'the matching pair passes');
    });

    test('upstream TLS files and the geo database are checked too', () => {
      const raw = base() as any;
      raw.upstreams.payments.targets = ['https://10.0.0.5'];
      raw.upstreams.payments.tls = { caFiles: [join(dir, 'nope-ca.pem')], certFile: pki.client.cert, keyFile: pki.serverKey };
      raw.geo = { databasePath: join(dir, 'nope.mmdb') };
      const issues = issuesOf(raw);
      includes(issues, `upstreams.payments.tls.caFiles[0]: cannot read ${join(dir, 'nope-ca.pem')}: file not found`);
      includes(issues, `geo.databasePath: cannot read ${join(dir, 'nope.mmdb')}: file not found`);
      raw.upstreams.payments.tls.caFiles = [pki.rootCa];
      includes(issuesOf(raw), /^upstreams\.payments\.tls: the certificate and key do not make a TLS context/);
    });
  });

  test("an exception thrown by a policy's own check is reported, not swallowed", () => {
    // An alias bomb makes the YAML library throw while the validate policy checks the contract.
    const bomb = writeContract(`openapi: 3.0.3\ninfo: { title: t, version: '1' }\nx-a: &a [1]\nx-b: [${Array(1200).fill('*a').join(', ')}]\npaths: {}\n`, 'bomb.yaml');
    const raw = base();
    raw.routes[0]!.policies = { validate: { contract: bomb } };
    includes(issuesOf(raw), /^routes\[0\]\.policies\.validate: could not be checked: Excessive alias count/);
    // The same document under contractRoutes is reported too, instead of escaping as an exception.
    const generated = { ...base(), contractRoutes: [{ contract: bomb, upstream: 'payments' }] };
    includes(issuesOf(generated), /^contractRoutes\[0\]\.contract: could not be read: Excessive alias count/);
  });

  test('a mistake in a contractRoutes entry is reported once, at the entry, not once per generated route', () => {
    const contract = writeContract(PAYMENTS_CONTRACT);
    const raw = { ...base(), contractRoutes: [{ contract, upstream: 'paymnts', policies: { cors: { allowOrigins: ['not a url'] } } }] };
    const issues = issuesOf(raw);
    const upstream = issues.filter((issue) => /paymnts/.test(issue));
    assert.deepEqual(upstream, ['contractRoutes[0].upstream: unknown upstream "paymnts" (did you mean "payments"?)']);
    const cors = issues.filter((issue) => /cors/.test(issue));
    assert.equal(cors.length, new Set(cors).size);
    assert.ok(cors.length >= 1 && cors.every((issue) => issue.startsWith('contractRoutes[0].policies.cors')), cors.join('\n'));
    assert.ok(!issues.some((issue) => issue.startsWith('routes[')), `no generated route paths:\n${issues.join('\n')}`);
  });

  test('an unknown policy name gets "did you mean" for the policy it abbreviates or misspells', () => {
    const raw = base() as any;
    raw.policies = { apikey: {}, jwt: {}, 'rate-limit': {} };
    raw.routes[0].policies = { mtls: {} };
    const issues = issuesOf(raw);
    includes(issues, 'policies.apikey: unknown policy (did you mean "auth-apikey"?)');
    includes(issues, 'policies.jwt: unknown policy (did you mean "auth-jwt"?)');
    includes(issues, 'policies.rate-limit: unknown policy (did you mean "ratelimit"?)');
    includes(issues, 'routes[0].policies.mtls: unknown policy (did you mean "auth-mtls"?)');
  });

  test('a YAML syntax error names its line and column and shows the line with a caret', () => {
    const result = loadConfigText('listeners:\n  - name: public\n    port: 8080\nupstreams:\n  u: { targets: [http://x }\n');
    assert.equal(result.ok, false);
    const first = result.ok ? '' : formatIssue(result.issues[0]!);
    assert.match(first, /^\(syntax\) line 5, column 27: Flow sequence .*\n {4}  u: \{ targets: \[http:\/\/x \}\n {4} {26}\^/);
    const duplicate = loadConfigText('listeners: []\nlisteners: []\n');
    assert.match(duplicate.ok ? '' : formatIssue(duplicate.issues[0]!), /^\(syntax\) line 2, column 1: Map keys must be unique\n {4}listeners: \[\]\n {4}listeners: \[\]\n {4}\^/);
  });

  test('contract errors name places in the document, never internal schema paths', async () => {
    const contract = writeContract(
      `openapi: 3.1.0
info: { title: t, version: '1' }
paths:
  /b:
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/B' }
      responses: { '200': { description: ok } }
components:
  schemas:
    B: { type: object, properties: { x: { $ref: '#/components/schemas/C/example' } } }
    C: { type: object, example: { type: string } }
`,
      'internal.yaml',
    );
    for (const raw of [{ ...base(), contractRoutes: [{ contract, upstream: 'payments' }] }, { ...base(), routes: [{ ...base().routes[0], policies: { validate: { contract } } }] }]) {
      const issues = issuesOf(raw).join('\n');
      assert.match(issues, /can't resolve reference #\/components\/schemas\/C\/example/);
      assert.doesNotMatch(issues, /\$defs|%24|urn:portcullis|from id/);
    }
  });

  test('the CLI prints all of it in one run, and the file names its syntax error position', async () => {
    const file = join(dir, 'many.yaml');
    writeFileSync(file, `listeners: [{ name: public, port: 8080 }]\nadmin: { token: "\${env:NC_ADMIN_TOKEN}" }\nstore: { path: ':memory:' }\napiKeys: { pepper: "\${env:NC_PEPPER}" }\nupstreams: { u: { targets: [http://10.0.0.5] } }\npolicies: { apikey: {} }\nroutes: [{ name: a, methods: [GET], path: /a, upstream: v }]\n`);
    const result = runCli(['config', 'validate', file], { NC_ADMIN_TOKEN: 'short-admin-token' });
    assert.equal(result.status, 1);
    for (const line of ['policies.apikey: unknown policy (did you mean "auth-apikey"?)', 'routes[0].upstream: unknown upstream "v"', 'apiKeys.pepper: environment variable NC_PEPPER is not set', 'admin.token: must be at least 24 characters']) {
      assert.ok(result.stderr.includes(line), `missing "${line}" in:\n${result.stderr}`);
    }
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'listeners:\n  - name: public\n   port: 8080\n');
    const syntax = runCli(['config', 'validate', broken]);
    assert.equal(syntax.status, 1);
    assert.match(syntax.stderr, /\(syntax\) line 3, column \d+: /);
    assert.ok((await loadConfigFile(broken)).ok === false);
  });
});
