/**
 * `portcullis selftest --admin-url` without `--config`: the routes come from the running gateway's
 * admin API (GET /v1/inventory). Against the demo it finds the same routes as with the config file
 * and every probe passes; against the weakened fixture it finds the unauthenticated route.
 */
import assert from 'node:assert/strict';
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
const ADMIN_TOKEN = 'selftest-admin-token-0123456789abcdef';

interface JsonReport {
  results: Array<{ probeId: string; status: 'pass' | 'fail' | 'skip'; observed: string; where: string }>;
}

const failed = (report: JsonReport) => [...new Set(report.results.filter((result) => result.status === 'fail').map((result) => result.probeId))].sort();
const authWhere = (report: JsonReport) => report.results.filter((result) => result.probeId === 'ST-AUTH-001').map((result) => [result.status, result.where]);

test('selftest with only --admin-url against the demo: the routes of GET /v1/inventory, the same as the config file, and every probe passes', async () => {
  const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0', '--json']);
  try {
    const started = JSON.parse(await demo.waitForLine(/^\{"gateway"/)) as { gateway: string; admin: string; keys: { adminToken: string } };
    const env = { PORTCULLIS_ADMIN_TOKEN: started.keys.adminToken };
    const run = await runCliAsync(['selftest', '--target', started.gateway, '--admin-url', started.admin, '--format', 'json', '--fail-on', 'low'], env);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(failed(report), [], run.stdout);
    assert.equal(run.status, 0, run.stderr);
    const ran = new Set(report.results.filter((result) => result.status === 'pass').map((result) => result.probeId));
    for (const id of ['ST-AUTH-001', 'ST-KEY-001', 'ST-KEY-002', 'ST-KEY-003', 'ST-KEY-004', 'ST-KEY-005', 'ST-HDR-001', 'ST-CORS-001', 'ST-SIZE-001', 'ST-SIZE-002', 'ST-SIZE-003', 'ST-RATE-001', 'ST-PATH-001', 'ST-SMUG-001', 'ST-FLOOD-001', 'ST-INJ-001', 'ST-INJ-002']) assert.ok(ran.has(id), `${id} passed`);
    // The same routes, methods and sample paths as from the config file.
    const fromConfig = JSON.parse((await runCliAsync(['selftest', '--target', started.gateway, '--config', DEMO_CONFIG, '--only', 'ST-AUTH', '--format', 'json'], env)).stdout) as JsonReport;
    assert.ok(authWhere(fromConfig).length > 0);
    assert.deepEqual(authWhere(report), authWhere(fromConfig));
  } finally {
    demo.child.kill('SIGKILL');
  }
});

test('selftest with only --admin-url against the weakened gateway finds the route without authentication (ST-AUTH-001) from the admin list', async () => {
  const upstream = await startUpstream();
  const config = parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
  config.listeners[0].port = 0;
  config.admin = { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' };
  config.upstreams.api.targets = [upstream.url];
  config.store.path = join(mkdtempSync(join(tmpdir(), 'portcullis-selftest-')), 'store.db');
  for (const route of config.routes) if (route.policies?.validate) route.policies.validate.contract = join(dirname(FIXTURE), route.policies.validate.contract);
  const gateway = await startGateway(config, { env: { SELFTEST_FIXTURE_PEPPER: PEPPER, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN } }).catch(async (error: unknown) => {
    await upstream.close();
    throw error;
  });
  try {
    const adminUrl = gateway.gateway.adminUrl;
    const run = await runCliAsync(['selftest', '--target', gateway.url, '--admin-url', adminUrl, '--format', 'json', '--timeout-ms', '1000'], { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN });
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(authWhere(report), [
      ['fail', 'GET /reports/selftest (reports)'],
      ['fail', 'POST /reports/selftest (reports)'],
      ['pass', 'GET /accounts/selftest1 (get-account)'],
    ]);
    assert.deepEqual(failed(report), ['ST-AUTH-001', 'ST-HDR-001', 'ST-INJ-001', 'ST-INJ-002', 'ST-RATE-001', 'ST-SIZE-002', 'ST-SIZE-003']);
    // An admin token the gateway refuses: selftest cannot run as asked (exit 2), it does not pass on no routes.
    const refused = await runCliAsync(['selftest', '--target', gateway.url, '--admin-url', adminUrl], { PORTCULLIS_ADMIN_TOKEN: 'not-the-admin-token-0123456789' });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /admin API GET \/v1\/inventory answered 401/);
  } finally {
    await gateway.close();
    await upstream.close();
  }
});
