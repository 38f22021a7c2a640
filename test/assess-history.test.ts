/**
 * `portcullis assess history <upstream> --config` (issue 23, docs/assess.md#history) on both store
 * dialects: the stored runs newest first, each with its grade, time and the findings added and
 * fixed since the run before it (also when that run is older than the page), in text and json;
 * and `assess --config`, which compares each fresh run with the newest stored one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StoredAssessFinding } from '../src/core/assessment.js';
import { insertAssessmentResult } from '../src/store/assessment-results.js';
import { migrateToLatest, openStore, type StoreLocation } from '../src/store/open-store.js';
import { nodeTlsServer, ONE_YEAR_HSTS, STRONG_TLS, type RunningServer } from './helpers/assess-servers.js';
import { makeTestPki } from './helpers/certs.js';
import { runCliAsync } from './helpers/cli.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';

const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const HOUR = 3_600_000;
const found = (ruleId: string, message: string, severity = 'high'): StoredAssessFinding => ({ ruleId, severity, message, where: 'api.partner.example:443', status: 'found' });
const TLS13 = found('AS-TLS-013', 'TLS 1.3 offered', 'info');
const TLS10 = found('AS-TLS-001', 'TLS 1.0 offered');
const NO_HSTS = found('AS-HSTS-001', 'no Strict-Transport-Security header', 'medium');
const TARGET = 'https://api.partner.example/v1';

interface Backend {
  readonly name: string;
  readonly skip: false | string;
  open(): Promise<{ store: Record<string, unknown>; env: Record<string, string>; location: StoreLocation; cleanup(): Promise<void> }>;
}
const BACKENDS: Backend[] = [
  { name: 'SQLite', skip: false, open: async () => { const path = join(mkdtempSync(join(tmpdir(), 'portcullis-history-')), 'store.db'); return { store: { path }, env: {}, location: { driver: 'sqlite', path }, cleanup: async () => {} }; } },
  { name: 'PostgreSQL', skip: skipWithoutPostgres, open: async () => { const pg = await postgresGatewayStore('HISTORY_DATABASE_URL'); return { store: pg.store, env: { HISTORY_DATABASE_URL: pg.url }, location: pg.location, cleanup: pg.drop }; } },
];

for (const backend of BACKENDS) {
  describe(`assess history on ${backend.name}`, { skip: backend.skip }, () => {
    let config: string;
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await backend.open();
      env = opened.env;
      cleanup = opened.cleanup;
      const store = openStore(opened.location);
      await migrateToLatest(store);
      const run = (upstream: string, grade: string, hours: number, findings: StoredAssessFinding[], capReasons: string[] = []) => insertAssessmentResult(store, { upstream, target: TARGET, grade, capReasons, findings, certificateNotAfter: undefined, assessedAt: T0 + hours * HOUR });
      await run('partner', 'A+', 0, [TLS13]);
      await run('partner', 'B', 24, [TLS13, TLS10], ['capped at B: AS-TLS-001 TLS 1.0 offered']);
      await run('other', 'F', 30, [found('AS-CERT-001', 'the chain does not verify', 'critical')]);
      await run('partner', 'A', 48, [TLS13, NO_HSTS], ['capped at A: AS-HSTS-001 no Strict-Transport-Security header']);
      await store.close();
      config = join(mkdtempSync(join(tmpdir(), 'portcullis-history-')), 'portcullis.yaml');
      writeFileSync(config, JSON.stringify({ listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }], store: opened.store, upstreams: { partner: { targets: [TARGET] } }, routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }] }));
    });
    after(async () => cleanup?.());

    test('json: newest first, grade and time per run, findings added and fixed since the run before (read past the page for the oldest shown)', async () => {
      const run = await runCliAsync(['assess', 'history', 'partner', '--config', config, '--limit', '2', '--format', 'json'], env);
      assert.equal(run.status, 0, run.stderr);
      const history = JSON.parse(run.stdout) as { upstream: string; runs: Array<{ assessedAt: string; grade: string; changes: { previousGrade: string; change: string; added: Array<{ ruleId: string }>; fixed: Array<{ ruleId: string }> } | null }> };
      assert.equal(history.upstream, 'partner');
      assert.deepEqual(
        history.runs.map((r) => [r.assessedAt, r.grade, r.changes?.previousGrade, r.changes?.change, r.changes?.added.map((f) => f.ruleId), r.changes?.fixed.map((f) => f.ruleId)]),
        [
          ['2026-11-03T00:00:00.000Z', 'A', 'B', 'better', ['AS-HSTS-001'], ['AS-TLS-001']],
          ['2026-11-02T00:00:00.000Z', 'B', 'A+', 'worse', ['AS-TLS-001'], []],
        ],
      );
    });

    test('text: the first stored run says so; another upstream\'s runs are not shown', async () => {
      const run = await runCliAsync(['assess', 'history', 'partner', '--config', config], env);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(
        run.stdout,
        [
          'portcullis assess history partner (3 runs, newest first)',
          '',
          `2026-11-03T00:00:00.000Z  A   was B (better); 1 new, 1 fixed  ${TARGET}`,
          '  + AS-HSTS-001  no Strict-Transport-Security header',
          '  - AS-TLS-001  TLS 1.0 offered',
          '',
          `2026-11-02T00:00:00.000Z  B   was A+ (worse); 1 new, 0 fixed  ${TARGET}`,
          '  + AS-TLS-001  TLS 1.0 offered',
          '',
          `2026-11-01T00:00:00.000Z  A+  the first stored run  ${TARGET}`,
          '',
        ].join('\n'),
      );
      const none = await runCliAsync(['assess', 'history', 'nobody', '--config', config], env);
      assert.equal(none.status, 0, none.stderr);
      assert.match(none.stdout, /no stored assessment/);
    });
  });
}

describe('assess --config compares each run with the newest stored run of its upstream', () => {
  const servers: RunningServer[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));

  test('json carries `previous` (grade change, findings added and fixed since it), text says since when', async () => {
    const pki = await makeTestPki();
    const server = await nodeTlsServer({ ...STRONG_TLS, cert: pki.serverCertPem, key: readFileSync(pki.serverKey) }, { 'strict-transport-security': ONE_YEAR_HSTS });
    servers.push(server);
    const path = join(mkdtempSync(join(tmpdir(), 'portcullis-history-')), 'store.db');
    const store = openStore({ driver: 'sqlite', path });
    await migrateToLatest(store);
    await insertAssessmentResult(store, { upstream: 'partner', target: server.url, grade: 'C', capReasons: [], findings: [TLS10, found('AS-CERT-010', 'no embedded SCT list', 'info')], certificateNotAfter: undefined, assessedAt: T0 });
    await store.close();
    const config = join(mkdtempSync(join(tmpdir(), 'portcullis-history-')), 'portcullis.yaml');
    writeFileSync(config, JSON.stringify({ listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }], store: { path }, upstreams: { partner: { targets: [server.url.replace(/\/$/, '')] } }, routes: [{ name: 'partner', methods: ['GET'], path: '/partner/*', upstream: 'partner' }] }));
    const args = ['assess', '--config', config, '--ca-file', pki.rootCa, '--timeout-ms', '3000'];

    const json = await runCliAsync([...args, '--format', 'json']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { grade: string; previous: { previousGrade: string; grade: string; change: number; added: Array<{ ruleId: string }>; fixed: Array<{ ruleId: string }>; since: string } };
    assert.equal(report.grade, 'A+');
    assert.deepEqual([report.previous.previousGrade, report.previous.grade, report.previous.change, report.previous.fixed.map((f) => f.ruleId)], ['C', 'A+', 1, ['AS-TLS-001']]);
    assert.ok(!report.previous.added.some((f) => f.ruleId === 'AS-CERT-010'), 'a finding in both runs is not new');
    assert.equal(report.previous.since, 'the previous stored run (2026-11-01T00:00:00.000Z)');

    const text = await runCliAsync(args);
    assert.match(text.stdout, /^Since the previous stored run \(2026-11-01T00:00:00\.000Z\): grade C -> A\+ \(better\); \d+ new, 1 fixed$/m);
    assert.match(text.stdout, /^ {2}- AS-TLS-001 {2}TLS 1\.0 offered$/m);
  });
});
