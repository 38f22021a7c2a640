/**
 * `portcullis start --workers 2`: real processes (the compiled CLI, its primary and two node:cluster
 * workers), a real upstream, a SQLite store shared by the workers. Which worker served a request is
 * read from the access log (every line carries `worker`); the upstream echoes the request id, so a
 * reply can be tied to its access-log line.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../src/audit/audit-log.js';
import { verifyChain, type VerifyReport } from '../src/audit/verify.js';
import { parseWorkers } from '../src/cli/start-command.js';
import { openStore } from '../src/store/open-store.js';
import { makeTestPki } from './helpers/certs.js';
import { spawnCli, type CliProcess } from './helpers/cli.js';
import { eventually, freePort, httpRequest, startUpstream, type Reply, type TestUpstream } from './helpers/index.js';
import { AdminClient, KEY_ENV } from './helpers/keys.js';
import { msUntil } from './helpers/multinode.js';

type LogLine = Record<string, unknown> & { worker?: number; event?: string; type?: string; requestId?: string; path?: string; status?: number };

function lines(cli: CliProcess): LogLine[] {
  return cli
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The workers whose access-log lines match. */
function servedBy(cli: CliProcess, match: (line: LogLine) => boolean): Set<number> {
  return new Set(lines(cli).filter((line) => line.type === 'access' && match(line)).map((line) => line.worker!));
}

/** The pid of the worker now in `slot` (from the primary's latest `cluster.worker_started`). */
function workerPid(cli: CliProcess, slot: number): number {
  const started = lines(cli).filter((line) => line.event === 'cluster.worker_started' && line.slot === slot);
  return started.at(-1)!.pid as number;
}

function counterValue(metrics: string, series: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const AUDIT_ENV = { PORTCULLIS_AUDIT_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };

describe('portcullis start --workers 2', () => {
  let upstream: TestUpstream;
  let storePath: string;
  let cli: CliProcess;
  let file: string;
  let config: Record<string, unknown>;
  let base: string;
  let admin: AdminClient;
  const held: Array<() => void> = [];
  const releaseHeld = () => held.splice(0).forEach((release) => release());

  before(async () => {
    // /slow is answered when the test says so; everything else at once. Both echo the request id.
    upstream = await startUpstream(async (req, res) => {
      if (req.url!.startsWith('/slow')) await new Promise<void>((resolve) => held.push(resolve));
      res.end(`finished ${req.headers['x-request-id']}`);
    });
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-'));
    file = join(dir, 'portcullis.json');
    const port = await freePort();
    const adminPort = await freePort();
    config = {
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
      // The safety-net poll at its slowest: the primary's nudge is what must deliver a revocation.
      store: { path: (storePath = join(dir, 'store.db')), pollIntervalMs: 1000 },
      // Checkpoints often, so a burst of writes spans several: only the lead may sign them.
      audit: { signingKey: '${env:PORTCULLIS_AUDIT_KEY}', checkpoint: { everyRecords: 3, everySeconds: 1 }, securityEvents: { flushIntervalMs: 100 } },
      apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
      bruteForce: { maxFailures: 1000 },
      upstreams: { backend: { targets: [upstream.url] } },
      routes: [
        { name: 'keyed', methods: ['GET'], path: '/keyed', upstream: 'backend', policies: { 'auth-apikey': {} } },
        { name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' },
      ],
      lifecycle: { watchConfigFile: false, drainTimeoutMs: 10_000 },
    };
    writeFileSync(file, JSON.stringify(config));
    base = `http://127.0.0.1:${port}`;
    admin = new AdminClient(`http://127.0.0.1:${adminPort}`);
    cli = spawnCli(['start', '--config', file, '--workers', '2'], { ...KEY_ENV, ...AUDIT_ENV });
    await cli.waitForLine(/"event":"cluster\.started"/);
  });

  after(async () => {
    releaseHeld();
    cli?.child.kill('SIGKILL');
    await upstream?.close();
  });

  /** `count` requests, one connection each, one after the other (round-robin: they alternate between workers). */
  async function requests(path: string, count: number, headers: Record<string, string> = {}): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (let i = 0; i < count; i++) replies.push(await httpRequest(`${base}${path}`, { headers }));
    return replies;
  }

  test('both workers serve, and each access-log line names the worker that served it', async () => {
    const replies = await requests('/both', 6);
    assert.deepEqual(replies.map((reply) => reply.status), [200, 200, 200, 200, 200, 200]);
    await eventually(() => servedBy(cli, (line) => line.path === '/both').size === 2, 'both workers served /both');
    assert.deepEqual([...servedBy(cli, (line) => line.path === '/both')].sort(), [1, 2]);
  });

  test('/metrics on the admin listener counts the requests of both workers in one total', async () => {
    await requests('/counted', 4);
    const series = 'portcullis_requests_total{route="all",status="2xx"}';
    // Every 2xx answer of route "all" so far, whichever worker served it.
    const served = () => lines(cli).filter((line) => line.type === 'access' && line.route === 'all' && line.status === 200).length;
    let metrics = '';
    await eventually(async () => {
      metrics = (await admin.call('GET', '/metrics')).text;
      return counterValue(metrics, series) === served() && served() >= 10;
    }, 'the total counts every worker');
    assert.deepEqual([...servedBy(cli, (line) => line.route === 'all')].sort(), [1, 2], 'the total spans both workers');
    assert.equal(counterValue(metrics, 'portcullis_cluster_workers'), 2);
  });

  test('a key revoked through the admin API is refused by both workers within a second', async (t) => {
    const consumer = await admin.consumer('partner');
    const { key, id } = await admin.key(consumer, []);
    const both = async (status: number) => (await requests('/keyed', 4, { 'x-api-key': key })).every((reply) => reply.status === status);
    assert.ok((await msUntil(() => both(200), 10_000)) >= 0, 'both workers accept the new key');
    assert.equal((await admin.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
    const revokedAt = lines(cli).length;
    const ms = await msUntil(() => both(401), 5000);
    assert.ok(ms >= 0, 'both workers refuse the revoked key');
    t.diagnostic(`revocation reached both workers in ${ms} ms (store poll: 1000 ms)`);
    assert.ok(ms < 1000, `revocation took ${ms} ms`);
    const refusers = new Set(lines(cli).slice(revokedAt).filter((line) => line.type === 'access' && line.path === '/keyed' && line.status === 401).map((line) => line.worker));
    assert.deepEqual([...refusers].sort(), [1, 2]);
  });

  test('only the lead worker signs audit checkpoints: after a burst of writes through both workers the chain verifies, its checkpoints never overlap or fork', async () => {
    const consumer = await admin.consumer('audited');
    const { key, id } = await admin.key(consumer, []);
    assert.equal((await admin.call('POST', `/v1/keys/${id}/revoke`)).status, 200);
    const from = lines(cli).length;
    // A burst at once: admin writes (the lead serves the admin API) and, on both workers, a revoked
    // key presented (each worker records api_key.used_after_revocation into the same chain).
    const writes = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => admin.call('POST', '/v1/consumers', { name: `burst-${i}` })),
      ...Array.from({ length: 8 }, () => httpRequest(`${base}/keyed`, { headers: { 'x-api-key': key } })),
    ]);
    assert.deepEqual(writes.map((reply) => reply.status), [...Array<number>(12).fill(201), ...Array<number>(8).fill(401)]);
    assert.deepEqual([...servedBy(cli, (line) => line.path === '/keyed' && line.status === 401)].sort(), [1, 2], 'both workers refused the revoked key');
    const opened = openStore({ driver: 'sqlite', path: storePath });
    try {
      const log = new AuditLog(opened.db);
      let report: VerifyReport | undefined;
      await eventually(async () => {
        const misuse = await log.page({ action: 'api_key.used_after_revocation', targetId: id }, { limit: 10 });
        report = await verifyChain(await log.liveChain());
        return misuse.reduce((sum, record) => sum + Number(record.detail?.count), 0) === 8 && report.ok;
      }, 'the misuse from both workers is recorded and a checkpoint anchors every record');
      assert.deepEqual([report!.exitCode, report!.anchoredThrough], [0, report!.lastSeq]);
      const checkpoints = await log.checkpoints();
      assert.ok(checkpoints.length >= 2, 'the burst spans several checkpoints');
      for (let i = 1; i < checkpoints.length; i++) {
        assert.equal(checkpoints[i]!.fromSeq, checkpoints[i - 1]!.toSeq + 1, 'no overlap, no gap');
        assert.equal(checkpoints[i]!.previousSignature, checkpoints[i - 1]!.signature, 'no fork');
      }
      // A checkpoint commits before its log line travels worker → primary → stdout (and a timed one
      // may be signed meanwhile): wait until the output has caught up with the store.
      const signedLines = () => lines(cli).filter((line) => line.event === 'audit.checkpoint_signed');
      await eventually(async () => signedLines().length === (await log.checkpoints()).length, 'every checkpoint in the store was signed (and logged) by this cluster');
      const signed = signedLines();
      assert.deepEqual([...new Set(signed.map((line) => line.worker))], [1], 'by the lead worker alone');
      assert.ok(lines(cli).slice(from).some((line) => line.event === 'audit.checkpoint_signed'), 'the burst was checkpointed');
    } finally {
      await opened.close();
    }
  });

  test('SIGHUP puts a new config in force in both workers, and the primary reports it once', async () => {
    writeFileSync(file, JSON.stringify({ ...config, routes: [{ name: 'v2', methods: ['GET'], path: '/v2/*', upstream: 'backend' }, ...(config.routes as unknown[])] }));
    cli.child.kill('SIGHUP');
    await cli.waitForLine(/"event":"cluster\.reloaded"/);
    assert.equal(lines(cli).filter((line) => line.event === 'cluster.reloaded').length, 1);
    // Each worker logs its own config.reloaded; that line may reach the output after the primary's.
    const reloadedIn = () => [...new Set(lines(cli).filter((line) => line.event === 'config.reloaded').map((line) => line.worker))].sort();
    await eventually(() => reloadedIn().length === 2, 'both workers logged config.reloaded');
    assert.deepEqual(reloadedIn(), [1, 2]);
    assert.ok((await requests('/v2/x', 4)).every((reply) => reply.status === 200));
    await eventually(() => servedBy(cli, (line) => line.route === 'v2').size === 2, 'both workers route /v2 after the reload');
  });

  test('a worker killed with SIGKILL is replaced, and the requests in flight on the other worker complete', async () => {
    const before = upstream.requests.length;
    // Settled at once: the killed worker's requests fail, and must not count as unhandled rejections.
    const inFlight = [0, 1, 2, 3].map((i) => httpRequest(`${base}/slow/${i}`).then((reply) => ({ status: 'fulfilled' as const, value: reply }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
    await eventually(() => upstream.requests.length === before + 4, 'four slow requests reached the upstream');
    const killed = workerPid(cli, 2);
    process.kill(killed, 'SIGKILL');
    await cli.waitForLine(/"event":"cluster\.worker_exited"/);
    releaseHeld();
    const settled = await Promise.all(inFlight);
    const completed = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    assert.ok(completed.length >= 1, 'requests in flight on the surviving worker completed');
    assert.ok(completed.length < 4, 'the killed worker held some of them (round-robin)');
    for (const reply of completed) {
      assert.equal(reply.status, 200);
      const requestId = reply.text.replace('finished ', '');
      // The access-log line is written as the response ends: it may reach the output after the reply.
      const line = () => lines(cli).find((candidate) => candidate.type === 'access' && candidate.requestId === requestId);
      await eventually(() => line() !== undefined, `the access-log line of ${requestId}`);
      assert.equal(line()!.worker, 1, 'completed on the worker that was not killed');
    }
    await eventually(() => lines(cli).some((line) => line.event === 'cluster.worker_started' && line.slot === 2 && line.pid !== killed), 'a new worker 2 started');
    const after = lines(cli).length;
    assert.ok((await requests('/after-kill', 4)).every((reply) => reply.status === 200), 'the gateway keeps serving');
    await eventually(() => new Set(lines(cli).slice(after).filter((line) => line.type === 'access').map((line) => line.worker)).size === 2, 'the new worker serves too');
  });

  test('the lead worker killed: its replacement serves the admin API again, on the same port, with the whole cluster\'s metrics', async () => {
    const killed = workerPid(cli, 1);
    process.kill(killed, 'SIGKILL');
    await eventually(() => lines(cli).some((line) => line.event === 'cluster.worker_started' && line.slot === 1 && line.pid !== killed), 'a new lead started', 60_000);
    assert.equal((await admin.call('GET', '/healthz')).status, 200);
    const metrics = (await admin.call('GET', '/metrics')).text;
    assert.equal(counterValue(metrics, 'portcullis_cluster_workers'), 2);
    assert.ok(counterValue(metrics, 'portcullis_cluster_worker_exits_total{reason="SIGKILL"}') >= 2, 'both kills counted');
    assert.equal((await admin.call('GET', '/v1/consumers')).status, 200, 'the admin API answers');
  });

  test('SIGTERM drains every worker (in-flight requests finish) and the primary exits 0', async () => {
    const before = upstream.requests.length;
    const slow = httpRequest(`${base}/slow/draining`);
    await eventually(() => upstream.requests.length === before + 1, 'the slow request reached the upstream');
    cli.child.kill('SIGTERM');
    await cli.waitForLine(/"event":"cluster\.stopping"/);
    await eventually(() => lines(cli).filter((line) => line.event === 'gateway.draining').length === 2, 'both workers drain');
    releaseHeld();
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.equal(await cli.exited, 0);
    assert.equal(lines(cli).filter((line) => line.event === 'gateway.stopped').length, 2);
    assert.ok(lines(cli).some((line) => line.event === 'cluster.stopped'));
  });
});

test('a worker that cannot start ends the start with its reason and exit 1, without forking again', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-taken-'));
  const file = join(dir, 'portcullis.json');
  writeFileSync(file, JSON.stringify({ listeners: [{ name: 'public', host: '127.0.0.1', port }], admin: { enabled: false }, upstreams: { backend: { targets: ['http://127.0.0.1:9'] } }, routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }] }));
  const cli = spawnCli(['start', '--config', file, '--workers', '2']);
  try {
    // The output goes with a failure: an exit 70 is a crash in the primary, and its line says which.
    assert.equal(await cli.exited, 1, cli.output());
    assert.match(cli.output(), /portcullis: could not start: .*listener "public".*in use/);
    assert.doesNotMatch(cli.output(), /cluster\.worker_(started|exited)/);
  } finally {
    cli.child.kill('SIGKILL');
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('a replacement worker that crashes as it boots is retried with growing delays, logged and counted, until it can start', async () => {
  // The listener's certificate disappears after the start: a replacement worker cannot open it.
  const pki = await makeTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-crashloop-'));
  const certFile = join(dir, 'server.crt');
  copyFileSync(pki.serverCert, certFile);
  const adminPort = await freePort();
  const file = join(dir, 'portcullis.json');
  writeFileSync(
    file,
    JSON.stringify({
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile, keyFile: pki.serverKey, watchFiles: false } }],
      admin: { host: '127.0.0.1', port: adminPort },
      upstreams: { backend: { targets: ['http://127.0.0.1:9'] } },
      routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
      lifecycle: { watchConfigFile: false },
    }),
  );
  const cli = spawnCli(['start', '--config', file, '--workers', '2']);
  try {
    await cli.waitForLine(/"event":"cluster\.started"/);
    renameSync(certFile, `${certFile}.away`);
    const killed = workerPid(cli, 2);
    process.kill(killed, 'SIGKILL');
    const exits = () => lines(cli).filter((line) => line.event === 'cluster.worker_exited' && line.slot === 2);
    await eventually(() => exits().length >= 3, 'worker 2 was killed, then failed to boot twice', 120_000);
    const [kill, ...failures] = exits();
    assert.equal(kill!.signal, 'SIGKILL');
    assert.equal(kill!.restartInMs, 0, 'a worker that dies once is replaced at once');
    assert.deepEqual(failures.slice(0, 2).map((line) => line.restartInMs), [250, 500], 'each boot failure waits twice as long');
    assert.match(String(failures[0]!.startFailure), /server\.crt/);
    const metrics = (await httpRequest(`http://127.0.0.1:${adminPort}/metrics`)).text;
    assert.equal(counterValue(metrics, 'portcullis_cluster_worker_exits_total{reason="SIGKILL"}'), 1);
    assert.ok(counterValue(metrics, 'portcullis_cluster_worker_exits_total{reason="exit code 1"}') >= 2);
    assert.equal(counterValue(metrics, 'portcullis_cluster_workers'), 1, 'the lead kept serving meanwhile');
    renameSync(`${certFile}.away`, certFile);
    await eventually(() => lines(cli).some((line) => line.event === 'cluster.worker_started' && line.slot === 2 && line.pid !== killed), 'worker 2 started once the certificate was back', 120_000);
  } finally {
    cli.child.kill('SIGKILL');
  }
});

test('--workers takes a whole number from 1 to 256, or auto for one per core', () => {
  assert.equal(parseWorkers('1', 8), 1);
  assert.equal(parseWorkers('4', 8), 4);
  assert.equal(parseWorkers('auto', 2), 2);
  assert.equal(parseWorkers('auto', 1000), 256);
  for (const bad of ['0', '257', '-1', '1.5', 'two', '', '2x']) assert.equal(parseWorkers(bad, 8), undefined, bad);
});
