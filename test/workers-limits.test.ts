/**
 * No limit multiplies by N (issue #16): a real `portcullis start --workers 2` (the compiled CLI,
 * its primary and two node:cluster workers), a real upstream, requests on new connections so that
 * both workers serve (the access log says which worker served each one). A rate limit of 100 per
 * hour admits exactly 100 of 250, brute-force blocking counts failures from both workers, a
 * concurrency limit and load shedding count the requests in flight on both, and the slots a killed
 * worker held are given back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnCli, type CliProcess } from './helpers/cli.js';
import { eventually, freePort, httpRequest, startUpstream, type Reply, type TestUpstream } from './helpers/index.js';
import { KEY_ENV } from './helpers/keys.js';

type LogLine = Record<string, unknown> & { worker?: number; event?: string; type?: string; path?: string; status?: number };

function lines(cli: CliProcess): LogLine[] {
  return cli
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The workers whose access-log lines for `path` had `status`. */
function servedBy(cli: CliProcess, path: string, status: number): Set<number> {
  return new Set(lines(cli).filter((line) => line.type === 'access' && line.path === path && line.status === status).map((line) => line.worker!));
}

function tally(replies: readonly Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const reply of replies) counts[reply.status] = (counts[reply.status] ?? 0) + 1;
  return counts;
}

describe('portcullis start --workers 2: no limit multiplies by the number of workers', () => {
  let upstream: TestUpstream;
  let cli: CliProcess;
  let base: string;
  const held: Array<() => void> = [];
  const releaseHeld = () => held.splice(0).forEach((release) => release());

  before(async () => {
    // /hold/* is answered when the test says so; everything else at once.
    upstream = await startUpstream(async (req, res) => {
      if (req.url!.startsWith('/hold')) await new Promise<void>((resolve) => held.push(resolve));
      res.end('ok');
    });
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-limits-'));
    const file = join(dir, 'portcullis.json');
    const port = await freePort();
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ name: 'public', host: '127.0.0.1', port }],
        admin: { host: '127.0.0.1', port: await freePort(), token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
        store: { path: join(dir, 'store.db') },
        apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
        bruteForce: { maxFailures: 5, windowSeconds: 3600, blockSeconds: 3600 },
        overload: { maxInFlight: 6 },
        upstreams: { backend: { targets: [upstream.url] } },
        routes: [
          { name: 'limited', methods: ['GET'], path: '/limited', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'hundred', limit: 100, windowSeconds: 3600, by: ['ip'] }] } } },
          { name: 'keyed', methods: ['GET'], path: '/keyed', upstream: 'backend', policies: { 'auth-apikey': {} } },
          { name: 'two-at-once', methods: ['GET'], path: '/hold/two', upstream: 'backend', policies: { ratelimit: { concurrency: { maxInFlight: 2, by: ['ip'] } } } },
          { name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' },
        ],
        lifecycle: { watchConfigFile: false, drainTimeoutMs: 5000 },
      }),
    );
    base = `http://127.0.0.1:${port}`;
    cli = spawnCli(['start', '--config', file, '--workers', '2'], KEY_ENV);
    await cli.waitForLine(/"event":"cluster\.started"/);
  });

  after(async () => {
    releaseHeld();
    cli?.child.kill('SIGKILL');
    await upstream?.close();
  });

  /** `count` requests on new connections, `parallel` at a time. */
  async function requests(path: string, count: number, parallel: number, headers: Record<string, string> = {}): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (let sent = 0; sent < count; sent += parallel) {
      const batch = Array.from({ length: Math.min(parallel, count - sent) }, () => httpRequest(`${base}${path}`, { headers }));
      replies.push(...(await Promise.all(batch)));
    }
    return replies;
  }

  test('a rate limit of 100 per hour admits exactly 100 of 250 requests served by both workers, not 200', async () => {
    const replies = await requests('/limited', 250, 4);
    assert.deepEqual(tally(replies), { 200: 100, 429: 150 });
    await eventually(() => servedBy(cli, '/limited', 429).size === 2, 'access-log lines of both workers');
    assert.deepEqual([...servedBy(cli, '/limited', 200)].sort(), [1, 2], 'both workers admitted requests');
    assert.deepEqual([...servedBy(cli, '/limited', 429)].sort(), [1, 2], 'both workers refused requests');
    assert.equal(replies.find((reply) => reply.status === 429)!.json<{ code: string }>().code, 'ratelimit.exceeded');
  });

  test('brute-force protection counts failures from both workers: the 6th attempt is refused whichever worker takes it', async () => {
    const replies: Reply[] = [];
    // One after the other, each on a new connection: round-robin alternates the workers.
    for (let i = 0; i < 10; i++) replies.push(await httpRequest(`${base}/keyed`, { headers: { 'x-api-key': `pk_wrong_${i}` } }));
    assert.deepEqual(replies.map((reply) => reply.status), [401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    assert.equal(replies[5]!.json<{ code: string }>().code, 'auth.too_many_failures');
    await eventually(() => servedBy(cli, '/keyed', 429).size === 2, 'access-log lines of both workers');
    assert.deepEqual([...servedBy(cli, '/keyed', 401)].sort(), [1, 2], 'both workers counted failures');
  });

  test('a concurrency limit of 2 holds across workers, and the slot a killed worker held is given back', async () => {
    // One connection after the other: round-robin puts the two held requests on different workers.
    const pending: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 2; i++) {
      pending.push(httpRequest(`${base}/hold/two`).catch(() => undefined));
      await eventually(() => held.length === i, `request ${i} reached the upstream`);
    }
    const refused = await requests('/hold/two', 3, 1);
    assert.deepEqual(tally(refused), { 429: 3 });
    assert.equal(refused[0]!.json<{ code: string }>().code, 'ratelimit.concurrency_exceeded');
    assert.equal(held.length, 2, 'no more than 2 reached the upstream');
    await eventually(() => servedBy(cli, '/hold/two', 429).size === 2, 'access-log lines of both workers');
    // Worker 2 dies holding one slot: the primary gives it back, so one more request gets through.
    const victim = lines(cli).filter((line) => line.event === 'cluster.worker_started' && line.slot === 2).at(-1)!.pid as number;
    process.kill(victim, 'SIGKILL');
    await eventually(() => lines(cli).some((line) => line.event === 'cluster.worker_started' && line.slot === 2 && line.pid !== victim), 'worker 2 was replaced');
    pending.push(httpRequest(`${base}/hold/two`).catch(() => undefined));
    await eventually(() => held.length === 3, 'the killed worker\'s slot was given back');
    assert.equal((await httpRequest(`${base}/hold/two`)).status, 429, 'the surviving worker\'s slot is still held');
    releaseHeld();
    await Promise.all(pending);
  });

  test('load shedding counts the requests in flight on both workers', async () => {
    const holding = Array.from({ length: 6 }, (_, i) => httpRequest(`${base}/hold/shed-${i}`).catch(() => undefined));
    await eventually(() => held.length === 6, 'six requests in flight, spread over both workers');
    // Each worker holds about three: alone it would be far from 6; together they are at it.
    await eventually(async () => (await httpRequest(`${base}/fast`)).status === 503, 'the other worker\'s count reached this one');
    const replies = await requests('/fast', 4, 1);
    assert.deepEqual(tally(replies), { 503: 4 });
    assert.deepEqual([...servedBy(cli, '/fast', 503)].sort(), [1, 2], 'both workers shed');
    releaseHeld();
    await Promise.all(holding);
    await eventually(async () => (await httpRequest(`${base}/fast`)).status === 200, 'serving again once the requests finished');
  });
});
