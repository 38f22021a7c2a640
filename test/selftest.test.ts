/**
 * `portcullis selftest` against real gateways: the demo (every probe passes), a gateway started
 * from the deliberately weakened test/fixtures/selftest/weakened.yaml (each weakness found by its
 * probe id), and a naive server that reflects CORS origins and sends no security headers. Also:
 * a target that is not loopback is refused, and the report formats.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCliAsync, spawnCli } from './helpers/cli.js';
import { startGateway, startUpstream } from './helpers/index.js';

const FIXTURE = new URL('../../test/fixtures/selftest/weakened.yaml', import.meta.url).pathname;
const DEMO_CONFIG = new URL('../../examples/demo.yaml', import.meta.url).pathname;
const PEPPER = 'selftest-fixture-pepper-0123456789abcdefghij';

interface JsonReport {
  results: Array<{ probeId: string; status: 'pass' | 'fail' | 'skip'; observed: string; where: string }>;
  requests: number;
}

const failed = (report: JsonReport) => [...new Set(report.results.filter((result) => result.status === 'fail').map((result) => result.probeId))].sort();

test('selftest against the demo: every probe passes, the throwaway consumer is disabled afterwards', async () => {
  const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0', '--json']);
  try {
    const started = JSON.parse(await demo.waitForLine(/^\{"gateway"/)) as { gateway: string; admin: string; keys: { adminToken: string } };
    const run = await runCliAsync(['selftest', '--target', started.gateway, '--config', DEMO_CONFIG, '--admin-url', started.admin, '--format', 'json', '--fail-on', 'low'], { PORTCULLIS_ADMIN_TOKEN: started.keys.adminToken });
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(failed(report), [], run.stdout);
    assert.equal(run.status, 0, run.stderr);
    const ran = new Set(report.results.filter((result) => result.status === 'pass').map((result) => result.probeId));
    for (const id of ['ST-AUTH-001', 'ST-KEY-001', 'ST-KEY-002', 'ST-KEY-003', 'ST-KEY-004', 'ST-KEY-005', 'ST-HDR-001', 'ST-CORS-001', 'ST-SIZE-001', 'ST-SIZE-002', 'ST-SIZE-003', 'ST-RATE-001', 'ST-PATH-001', 'ST-SMUG-001', 'ST-SMUG-002', 'ST-SMUG-003', 'ST-SMUG-004', 'ST-SMUG-005', 'ST-FLOOD-001', 'ST-INJ-001', 'ST-INJ-002']) assert.ok(ran.has(id), `${id} passed`);
    assert.ok(report.results.some((result) => result.probeId === 'ST-KEY-004' && result.observed === '401 auth.key_revoked'));
    // The throwaway consumer is left disabled, its keys revoked.
    const admin = { authorization: `Bearer ${started.keys.adminToken}` };
    const consumers = (await (await fetch(`${started.admin}/v1/consumers`, { headers: admin })).json()) as { items: Array<{ id: string; name: string; status: string }> };
    const throwaway = consumers.items.filter((consumer) => consumer.name.startsWith('selftest-'));
    assert.equal(throwaway.length, 1);
    assert.equal(throwaway[0]!.status, 'disabled');
    const keys = (await (await fetch(`${started.admin}/v1/keys?consumerId=${throwaway[0]!.id}`, { headers: admin })).json()) as { items: Array<{ status: string }> };
    assert.deepEqual(keys.items.map((key) => key.status), ['revoked', 'revoked']);
  } finally {
    demo.child.kill('SIGKILL');
  }
});

test('selftest against the weakened config finds each weakness by its probe id, and exits 1', async () => {
  const upstream = await startUpstream();
  const config = parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
  config.listeners[0].port = 0;
  config.upstreams.api.targets = [upstream.url];
  config.store.path = join(mkdtempSync(join(tmpdir(), 'portcullis-selftest-')), 'store.db');
  for (const route of config.routes) if (route.policies?.validate) route.policies.validate.contract = join(dirname(FIXTURE), route.policies.validate.contract);
  const gateway = await startGateway(config, { env: { SELFTEST_FIXTURE_PEPPER: PEPPER } }).catch(async (error: unknown) => {
    await upstream.close();
    throw error;
  });
  try {
    const run = await runCliAsync(['selftest', '--target', gateway.url, '--config', FIXTURE, '--format', 'json', '--timeout-ms', '1000'], { SELFTEST_FIXTURE_PEPPER: PEPPER });
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(failed(report), ['ST-AUTH-001', 'ST-HDR-001', 'ST-INJ-001', 'ST-INJ-002', 'ST-RATE-001', 'ST-SIZE-002', 'ST-SIZE-003']);
    const auth = report.results.filter((result) => result.probeId === 'ST-AUTH-001');
    assert.deepEqual(auth.map((result) => [result.status, result.where]), [
      ['fail', 'GET /reports/selftest (reports)'],
      ['fail', 'POST /reports/selftest (reports)'],
      ['pass', 'GET /accounts/selftest1 (get-account)'],
    ]);
    const injection = report.results.filter((result) => result.probeId === 'ST-INJ-001');
    assert.deepEqual(injection.map((result) => [result.status, result.observed]), [['fail', '200'], ['fail', '200'], ['fail', '200'], ['fail', '200']]);
    assert.equal(auth[0]!.observed, '200');
    // What selftest could not check without an admin credential is said, not passed.
    const revoked = report.results.find((result) => result.probeId === 'ST-KEY-004')!;
    assert.equal(revoked.status, 'skip');
    assert.match(revoked.observed, /--admin-url/);
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

test('selftest finds CORS reflecting any origin and missing security headers on a naive server; text, SARIF and JUnit reports', async () => {
  const naive = createServer((req, res) => {
    res.writeHead(200, { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-credentials': 'true', 'x-powered-by': 'naive' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => naive.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(naive.address() as AddressInfo).port}`;
  try {
    const only = ['--only', 'ST-CORS,ST-HDR,ST-KEY-004'];
    const text = await runCliAsync(['selftest', '--target', target, '--config', FIXTURE, ...only], { SELFTEST_FIXTURE_PEPPER: PEPPER });
    assert.equal(text.status, 1);
    assert.match(text.stdout, /FAIL high {2}ST-CORS-001 {2}simple GET \/reports\/selftest \(reports\) Origin: https:\/\/attacker\.selftest\.invalid\n {6}expected: .*\n {6}observed: 200, Access-Control-Allow-Origin: https:\/\/attacker\.selftest\.invalid, Access-Control-Allow-Credentials: true/);
    assert.doesNotMatch(text.stdout, /ST-SMUG|ST-AUTH/, '--only runs only the probes named');
    assert.match(text.stdout, /FAIL medium {2}ST-HDR-001 .*\n.*\n {6}observed: no X-Content-Type-Options: nosniff; no X-Frame-Options nor CSP frame-ancestors; X-Powered-By: naive/);
    const sarif = JSON.parse((await runCliAsync(['selftest', '--target', target, '--config', FIXTURE, '--format', 'sarif', ...only], { SELFTEST_FIXTURE_PEPPER: PEPPER })).stdout) as { version: string; runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; ruleIndex: number; level: string }> }> };
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0]!;
    assert.equal(run.tool.driver.name, 'portcullis selftest');
    const cors = run.results.find((result) => result.ruleId === 'ST-CORS-001')!;
    assert.equal(cors.level, 'error');
    assert.equal(run.tool.driver.rules[cors.ruleIndex]!.id, 'ST-CORS-001');
    const junit = await runCliAsync(['selftest', '--target', target, '--config', FIXTURE, '--format', 'junit', ...only], { SELFTEST_FIXTURE_PEPPER: PEPPER });
    assert.match(junit.stdout, /<testsuite name="selftest\.headers" tests="\d+" failures="[1-9]\d*"/);
    assert.match(junit.stdout, /<testcase classname="selftest\.api-keys" name="ST-KEY-004 -">\s*<skipped message="skipped: needs an admin credential/);
  } finally {
    naive.closeAllConnections();
    await new Promise((resolve) => naive.close(resolve));
  }
});

test('selftest refuses a target that is not loopback unless --target-is-mine, before sending anything', async () => {
  const run = await runCliAsync(['selftest', '--target', 'http://192.0.2.10:8080']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /192\.0\.2\.10:8080 is not a loopback address: .*--target-is-mine/);
  assert.equal(run.stdout, '');
});
