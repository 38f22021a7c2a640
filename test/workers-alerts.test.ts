/**
 * Alerts under `portcullis start --workers 2` (issue 21): only the lead worker evaluates, over the
 * whole cluster. A route whose upstream answers 500 is served by both workers; the rule's
 * minRequests is above what the lead alone serves, so route_error_ratio fires only if the lead's
 * engine counts the other worker's requests (its metrics, read through the primary), and the
 * notification names sample requests of the other worker only if its signals reach the lead. The
 * requests start right after `cluster.started`: the engine's baseline, taken before the listeners
 * accept traffic, is what lets them count. Real processes, a real signed-webhook receiver; every
 * wait polls for its outcome with a deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALERT_SECRET, startAlertReceiver } from './helpers/alert-receiver.js';
import { spawnCli, type CliProcess } from './helpers/cli.js';
import { freePort, httpRequest, startUpstream } from './helpers/index.js';
import { msUntil } from './helpers/multinode.js';

const DEADLINE_MS = 30_000;
const MIN_REQUESTS = 20;
const REQUESTS = 30;

type LogLine = { worker?: number; type?: string; event?: string; route?: string; status?: number; requestId?: string; pid?: number };

const logLines = (cli: CliProcess): LogLine[] =>
  cli
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** SIGTERM, and the exit awaited; past the deadline every process of the gateway is killed (no orphaned workers). */
async function stop(cli: CliProcess): Promise<number | null> {
  const pids = logLines(cli).filter((line) => line.event === 'cluster.worker_started').map((line) => line.pid!);
  cli.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([cli.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, DEADLINE_MS, 'timeout')))]);
  clearTimeout(timer);
  if (code !== 'timeout') return code;
  for (const pid of [cli.child.pid!, ...pids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  throw new Error('the gateway did not stop within the deadline');
}

test('--workers 2: route_error_ratio fires over both workers\' requests and is delivered once, with sample requests of both', async (t) => {
  const upstream = await startUpstream((req, res) => {
    res.statusCode = 500;
    res.end(`failed ${req.headers['x-request-id']}`);
  });
  const receiver = await startAlertReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-alerts-'));
  const file = join(dir, 'portcullis.json');
  const [port, adminPort] = [await freePort(), await freePort()];
  writeFileSync(
    file,
    JSON.stringify({
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      upstreams: { failing: { targets: [upstream.url] } },
      routes: [{ name: 'broken', methods: ['GET'], path: '/broken', upstream: 'failing', public: true, publicReason: 'test of cluster-wide alerts' }],
      lifecycle: { watchConfigFile: false, drainTimeoutMs: 5000 },
      alerts: {
        evaluationIntervalSeconds: 1,
        groupWaitSeconds: 0,
        groupIntervalSeconds: 1,
        rules: { route_error_ratio: { forSeconds: 0, thresholds: { minRequests: MIN_REQUESTS } }, upstream_down: { enabled: false } },
        sinks: { ops: { type: 'webhook', url: receiver.url, secret: '${env:ALERT_SECRET}' } },
      },
    }),
  );
  const cli = spawnCli(['start', '--config', file, '--workers', '2'], { ALERT_SECRET });
  t.after(async () => {
    if (cli.child.exitCode === null) await stop(cli).catch(() => {});
    await receiver.close();
    await upstream.close();
  });
  await cli.waitForLine(/"event":"cluster\.started"/);

  // One connection per request: round-robin alternates them between the workers.
  for (let i = 0; i < REQUESTS; i++) assert.equal((await httpRequest(`http://127.0.0.1:${port}/broken`)).status >= 500, true);
  const access = () => logLines(cli).filter((line) => line.type === 'access' && line.route === 'broken');
  assert.ok((await msUntil(async () => access().length === REQUESTS, DEADLINE_MS)) >= 0, 'every request is in the access log');
  const byWorker = (worker: number) => access().filter((line) => line.worker === worker);
  assert.ok(byWorker(2).length > 0, 'worker 2 served some');
  assert.ok(byWorker(1).length < MIN_REQUESTS, `the lead alone served ${byWorker(1).length}, fewer than minRequests: only the cluster's count fires`);

  assert.ok((await msUntil(async () => receiver.about('route_error_ratio').length > 0, DEADLINE_MS)) >= 0, `route_error_ratio is delivered; output:\n${cli.output().slice(-3000)}`);
  const [notification] = receiver.about('route_error_ratio');
  assert.equal(notification!.data.status, 'firing');
  const alert = notification!.data.alerts.find((candidate) => candidate.labels.alertname === 'route_error_ratio')!;
  assert.equal(alert.labels.route, 'broken');
  // Sample ids are sent with the alert; the other worker's reached the lead's engine.
  const served2 = new Set(byWorker(2).map((line) => line.requestId));
  assert.ok(alert.sampleRequestIds.some((id) => served2.has(id)), `a sample request of worker 2 is named (${alert.sampleRequestIds.join(', ')})`);

  // Exactly once: a few more evaluation rounds later, still one notification.
  const evaluations = async () => Number(/^portcullis_alert_evaluations_total\{outcome="ok"\} (\d+)$/m.exec((await httpRequest(`http://127.0.0.1:${adminPort}/metrics`)).text)?.[1] ?? 0);
  const seen = await evaluations();
  assert.ok((await msUntil(async () => (await evaluations()) >= seen + 3, DEADLINE_MS)) >= 0, 'the lead keeps evaluating');
  assert.equal(receiver.about('route_error_ratio').length, 1, 'delivered exactly once');
  assert.equal(await stop(cli), 0);
});
