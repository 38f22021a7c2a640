import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ManualClock } from '../src/core/clock.js';
import { assertProblem, baseConfig, eventually, httpRequest, startGateway, startUpstream } from './helpers/index.js';

/** A port nothing listens on: connections to it are refused. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('when the upstream fails', () => {
  test('answers 502 upstream.unavailable when no target accepts connections', async () => {
    const gw = await startGateway(baseConfig([await closedPortUrl()]));
    try {
      const reply = await httpRequest(`${gw.url}/accounts`);
      const problem = assertProblem(reply, 502, 'upstream.unavailable');
      assert.doesNotMatch(String(problem.detail), /ECONNREFUSED|127\.0\.0\.1/, 'the detail must not leak internals');
      const line = await gw.logs.accessLine(reply.headers['x-request-id']);
      assert.equal(line.code, 'upstream.unavailable');
      assert.match(String(line.internal), /ECONNREFUSED/);
    } finally {
      await gw.close();
    }
  });

  test('answers 504 upstream.timeout when the upstream never answers, without retrying', async () => {
    const hanging = await startUpstream(() => {});
    const config = baseConfig([hanging.url]);
    (config.upstreams as any).backend.headersTimeoutMs = 300;
    const gw = await startGateway(config);
    try {
      const started = Date.now();
      const reply = await httpRequest(`${gw.url}/slow`);
      assertProblem(reply, 504, 'upstream.timeout');
      assert.ok(Date.now() - started < 3000);
      assert.equal(hanging.requests.length, 1, 'a timed-out request is not retried');
    } finally {
      await gw.close();
      await hanging.close();
    }
  });

  test('retries a bodiless GET on the next target after a connection failure', async () => {
    const live = await startUpstream();
    const config = baseConfig([await closedPortUrl(), live.url]);
    const gw = await startGateway(config);
    try {
      const reply = await httpRequest(`${gw.url}/accounts`);
      assert.equal(reply.status, 200);
      const line = await gw.logs.accessLine(reply.headers['x-request-id']);
      assert.equal(line.attempts, 2);
      assert.equal(line.upstream, live.url);
      assert.ok(gw.logs.records.some((r) => r.event === 'upstream.retry'));
    } finally {
      await gw.close();
      await live.close();
    }
  });

  test('never retries a POST', async () => {
    const live = await startUpstream();
    const gw = await startGateway(baseConfig([await closedPortUrl(), live.url]));
    try {
      const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', body: '{"amount":1}' });
      assertProblem(reply, 502, 'upstream.unavailable');
      assert.equal(live.requests.length, 0);
    } finally {
      await gw.close();
      await live.close();
    }
  });

  test('skips a failing target for its cool-down, logs it, and tries it again afterwards', async () => {
    const clock = new ManualClock();
    const live = await startUpstream();
    const dead = await closedPortUrl();
    const config = baseConfig([dead, live.url]);
    (config.upstreams as any).backend.health = { failuresBeforeCooldown: 1, cooldownMs: 10000 };
    const gw = await startGateway(config, { clock });
    try {
      const first = await httpRequest(`${gw.url}/a`);
      assert.equal(first.status, 200);
      const cooldown = await gw.logs.waitFor((r) => r.event === 'upstream.target_cooldown');
      assert.equal(cooldown.target, dead);
      assert.equal(cooldown.level, 'warn');
      assert.match((await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text, /portcullis_upstream_target_cooldowns_total\{upstream="backend"\} 1/);

      for (let i = 0; i < 4; i++) {
        const reply = await httpRequest(`${gw.url}/b${i}`);
        const line = await gw.logs.accessLine(reply.headers['x-request-id']);
        assert.equal(line.attempts, 1, 'the cooling target is not tried');
        assert.equal(line.upstream, live.url);
      }

      clock.advance(10001);
      const tries: number[] = [];
      for (let i = 0; i < 2; i++) {
        const reply = await httpRequest(`${gw.url}/c${i}`);
        tries.push(Number((await gw.logs.accessLine(reply.headers['x-request-id'])).attempts));
      }
      assert.ok(tries.includes(2), 'after the cool-down the target is in the rotation again');
    } finally {
      await gw.close();
      await live.close();
    }
  });

  test('aborts the upstream request when the client disconnects mid-body, and leaks nothing', async () => {
    // The upstream reads the body but has not answered yet when the client goes away.
    const upstream = await startUpstream(() => {});
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      const socket = connect(gw.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
      socket.write(Buffer.alloc(64 * 1024, 'a'));
      await eventually(() => upstream.requests.length === 1, 'the upstream receives the request while the body streams');
      socket.destroy();
      await eventually(() => upstream.requests[0]!.aborted, 'the upstream request is aborted');
      await eventually(() => gw.gateway.inflight === 0, 'no request is left in flight');
      const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/upload');
      assert.equal(line.incomplete, true);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('gives up on a body that stops moving because the upstream stopped reading', async () => {
    // Backpressure pauses the client socket, so a client that leaves cannot even be seen: the body
    // idle timeout is what bounds such a request.
    // It starts reading only after a second (well past the idle timeout), and then finds the
    // gateway has cut the request off.
    const upstream = await startUpstream((req) => void setTimeout(() => req.resume(), 1000), { readBody: false });
    const config = baseConfig([upstream.url]);
    (config.listeners as any)[0].bodyIdleTimeoutMs = 300;
    config.policies = { 'request-size-limit': { maxBytes: 1024 * 1024 * 1024 } };
    const gw = await startGateway(config);
    try {
      const socket = connect(gw.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.on('error', () => {});
      socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n');
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 32 && !socket.destroyed; i++) socket.write(chunk);
      let answer = '';
      socket.on('data', (data) => (answer += data.toString()));
      await eventually(() => answer.startsWith('HTTP/1.1 408'), 'the client is told 408 request.timeout');
      await eventually(() => upstream.requests.length === 1 && upstream.requests[0]!.aborted, 'the stalled upstream request is aborted');
      await eventually(() => gw.gateway.inflight === 0, 'no request is left in flight');
      socket.destroy();
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('cuts the response and logs the cause when the upstream dies mid-body', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 'z'));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      await assert.rejects(httpRequest(`${gw.url}/download`));
      const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/download');
      assert.equal(line.code, 'upstream.unavailable');
      assert.equal(line.status, 200);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
