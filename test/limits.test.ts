import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertProblem, baseConfig, eventually, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

describe('request limits', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startUpstream();
    const config = baseConfig([upstream.url], {
      policies: { 'request-size-limit': { maxBytes: 8192 } },
      routes: [
        { name: 'small', methods: ['POST'], path: '/small', upstream: 'backend', policies: { 'request-size-limit': { maxBytes: 100 } } },
        { name: 'unlimited', methods: ['POST'], path: '/unlimited', upstream: 'backend', policies: { 'request-size-limit': { enabled: false } } },
        { name: 'default', methods: ['GET', 'POST'], path: '/*', upstream: 'backend' },
      ],
    });
    (config.listeners as any)[0].headersTimeoutMs = 300;
    (config.listeners as any)[0].maxHeaderBytes = 4096;
    gw = await startGateway(config);
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('refuses a declared Content-Length over the limit with 413 before contacting the upstream', async () => {
    const before = upstream.requests.length;
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', body: Buffer.alloc(8193) });
    assertProblem(reply, 413, 'request.body_too_large');
    assert.equal(reply.headers.connection, 'close');
    assert.equal(upstream.requests.length, before);
  });

  test('accepts a body exactly at the limit', async () => {
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', body: Buffer.alloc(8192) });
    assert.equal(reply.status, 200);
    assert.equal(reply.json<{ bodyLength: number }>().bodyLength, 8192);
  });

  test("applies a route's own limit over the global one", async () => {
    assertProblem(await httpRequest(`${gw.url}/small`, { method: 'POST', body: Buffer.alloc(101) }), 413, 'request.body_too_large');
    assert.equal((await httpRequest(`${gw.url}/unlimited`, { method: 'POST', body: Buffer.alloc(20000) })).status, 200);
  });

  test('cuts a chunked body at the limit while it streams, with 413, and aborts the upstream request', async () => {
    const chunk = Buffer.alloc(1000, 'c');
    const frames: Array<string | Buffer> = ['POST /payments HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'];
    for (let i = 0; i < 20; i++) frames.push(Buffer.concat([Buffer.from('3e8\r\n'), chunk, Buffer.from('\r\n')]));
    frames.push('0\r\n\r\n');
    const before = upstream.requests.length;
    const answer = parseRawResponse(await rawExchange(gw.port, frames, { gapMs: 5 }));
    assertProblem(answer, 413, 'request.body_too_large');
    if (upstream.requests.length > before) {
      await eventually(() => upstream.requests.at(-1)!.aborted, 'the upstream sees the request aborted');
      assert.ok(upstream.requests.at(-1)!.body.length <= 8192);
    }
  });

  test('streams the body: the upstream has the first bytes before the client has sent the rest', async () => {
    const firstChunk = Buffer.alloc(1000, 'a');
    let firstSeen!: () => void;
    const seen = new Promise<void>((resolve) => (firstSeen = resolve));
    const streaming = await startUpstream(
      (req, res) => {
        let total = 0;
        req.on('data', (data: Buffer) => {
          total += data.length;
          if (total >= firstChunk.length) firstSeen();
        });
        req.on('end', () => res.end(String(total)));
      },
      { readBody: false },
    );
    const local = await startGateway(baseConfig([streaming.url]));
    try {
      const socket = connect(local.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.on('data', (data) => (answer += data.toString()));
      socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${firstChunk.length * 2}\r\nConnection: close\r\n\r\n`);
      socket.write(firstChunk);
      // If the gateway buffered the body, the upstream would never see these bytes and this would time out.
      await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('the upstream saw nothing: the body was buffered')), 3000))]);
      socket.write(firstChunk);
      await eventually(() => answer.endsWith('2000'), 'the upstream received the whole body');
      socket.destroy();
    } finally {
      await local.close();
      await streaming.close();
    }
  });

  test('refuses an oversized request head with 431 request.header_too_large', async () => {
    const answer = parseRawResponse(await rawExchange(gw.port, [`GET /x HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(8000)}\r\n\r\n`]));
    assertProblem(answer, 431, 'request.header_too_large');
  });

  test('answers a client that sends its head too slowly (slowloris) with 408 and closes', async () => {
    const started = Date.now();
    const raw = await rawExchange(gw.port, ['GET /x HTTP/1.1\r\n', 'Host: x\r\n'], { gapMs: 50, timeoutMs: 4000 });
    const answer = parseRawResponse(raw);
    assertProblem(answer, 408, 'request.timeout');
    assert.ok(Date.now() - started < 3000, 'closed soon after headersTimeoutMs');
  });

  test('answers unparseable HTTP with 400 request.malformed', async () => {
    const answer = parseRawResponse(await rawExchange(gw.port, ['GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n']));
    assertProblem(answer, 400, 'request.malformed');
  });
});
