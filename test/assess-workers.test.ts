/**
 * minimumGrade under `portcullis start --workers 2` without a store (issue 23 §5,
 * docs/workers.md): only the lead worker assesses, and it shares each result with the other worker
 * through the primary (cluster IPC), so both decide from the same latest grade. Real processes (the
 * compiled CLI), real HTTPS upstreams with known grades; which worker served a request is read from
 * the access log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { badApi, badAuthorizationServer, goodApi, startHttpsServer } from './helpers/assess-http-servers.js';
import { makeTestPki } from './helpers/certs.js';
import { spawnCli, type CliProcess } from './helpers/cli.js';
import { eventually, freePort, httpRequest, type Reply } from './helpers/index.js';

type LogLine = Record<string, unknown> & { worker?: number; event?: string; type?: string; path?: string; status?: number };

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function lines(cli: CliProcess): LogLine[] {
  return cli
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

test('--workers 2 without a store: requests on either worker pass once a passing grade exists, and are refused below the floor', async () => {
  const pki = await makeTestPki();
  let goodReceived = 0;
  let weakReceived = 0;
  const good = await startHttpsServer(pki, (req, res, origin) => {
    if (req.url?.startsWith('/good/')) goodReceived++;
    goodApi(req, res, origin);
  });
  const weakApi = badApi({ unauthenticated: 'data', securityTxt: 'missing' });
  const weakIssuer = badAuthorizationServer();
  const weak = await startHttpsServer(pki, (req, res, origin) => {
    if (req.url?.startsWith('/weak/')) weakReceived++;
    return req.url === '/.well-known/openid-configuration' || req.url === '/jwks' ? weakIssuer(req, res, origin) : weakApi(req, res, origin);
  });
  cleanups.push(good.close, weak.close);
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-assess-workers-')), 'portcullis.json');
  const assess = (origin: string) => ({ intervalHours: 24, oauthIssuer: origin, minimumGrade: 'E', timeoutMs: 5000 });
  writeFileSync(
    file,
    JSON.stringify({
      listeners: [{ name: 'public', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: await freePort() },
      upstreams: {
        good: { targets: [good.origin], tls: { caFiles: [pki.caBundle] }, assess: assess(good.origin) },
        weak: { targets: [weak.origin], tls: { caFiles: [pki.caBundle] }, assess: assess(weak.origin) },
      },
      routes: [
        { name: 'good', methods: ['GET'], path: '/good/*', upstream: 'good' },
        { name: 'weak', methods: ['GET'], path: '/weak/*', upstream: 'weak' },
      ],
      lifecycle: { watchConfigFile: false, drainTimeoutMs: 5000 },
    }),
  );
  const cli = spawnCli(['start', '--config', file, '--workers', '2']);
  cleanups.push(() => void cli.child.kill('SIGKILL'));
  await cli.waitForLine(/"event":"cluster\.started"/);
  const base = `http://127.0.0.1:${port}`;
  // One connection per request: round-robin alternates them between the two workers.
  const requests = async (path: string, count: number): Promise<Reply[]> => {
    const replies: Reply[] = [];
    for (let i = 0; i < count; i++) replies.push(await httpRequest(`${base}${path}`));
    return replies;
  };
  const servedBy = (path: string) => [...new Set(lines(cli).filter((line) => line.type === 'access' && line.path === path).map((line) => line.worker))].sort();

  // The lead assesses both at start; its grades reach the other worker through the primary.
  await eventually(() => lines(cli).filter((line) => line.event === 'assess.completed').length === 2, 'the lead assessed both upstreams', 60_000);
  const completed = lines(cli).filter((line) => line.event === 'assess.completed');
  assert.deepEqual(new Set(completed.map((line) => line.worker)), new Set([1]), 'only the lead assesses');
  assert.equal(completed.find((line) => line.upstream === 'weak')?.grade, 'F');
  assert.notEqual(completed.find((line) => line.upstream === 'good')?.grade, 'F');

  // The careful API answers every unauthenticated request 401 itself: a 401 is a forwarded request.
  await eventually(async () => (await requests('/good/probe', 2)).every((reply) => reply.status === 401), 'the good upstream is served');
  const passed = await requests('/good/x', 6);
  assert.deepEqual(passed.map((reply) => reply.status), [401, 401, 401, 401, 401, 401], passed.map((reply) => reply.text).join('\n'));
  assert.deepEqual(servedBy('/good/x'), [1, 2], 'both workers forwarded');

  const refused = await requests('/weak/x', 6);
  assert.deepEqual(refused.map((reply) => reply.status), [503, 503, 503, 503, 503, 503]);
  for (const reply of refused) {
    assert.equal(reply.json().code, 'upstream.assessment_below_minimum');
    assert.match(String(reply.json().detail), /graded F, below its minimum E/, 'each worker knows the grade, not "not assessed yet"');
  }
  assert.deepEqual(servedBy('/weak/x'), [1, 2], 'both workers refused');
  assert.equal(weakReceived, 0, 'nothing reached the upstream below its floor');
  assert.ok(goodReceived >= 8, `the good upstream received the forwarded requests (${goodReceived})`);
});
