/**
 * HTTP/1.1 framing as the gateway reads it, sent as exact bytes on raw sockets (Node's client
 * would normalise them): faulty framing closes the connection and nothing after it is served;
 * responses without content keep their status; long targets get 414; methods the gateway cannot
 * proxy get a problem and an access line.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertProblem, baseConfig, parseRawResponse, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

interface Exchange {
  /** Everything the gateway wrote. */
  text: string;
  /** The gateway closed the connection (false: it was still open at the deadline). */
  closed: boolean;
}

/** Writes the bytes at once and reads until the gateway closes, or the deadline passes. */
function exchange(port: number, bytes: string, deadlineMs = 3000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, deadlineMs);
    socket.on('data', (data) => (text += data.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

/** The status lines of every response in what was received. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
}

describe('message framing (RFC 9112 §6.1)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream((_req, res, recorded) => {
      const body = JSON.stringify({ url: recorded.url, bodyLength: recorded.body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    gw = await startGateway(baseConfig([upstream.url]));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const pipelined = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

  test('refuses an HTTP/1.0 request with Transfer-Encoding with 400, closes, and serves nothing pipelined after it', async () => {
    for (const head of [
      'POST /first HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n',
      'POST /first HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: CHUNKED\r\n\r\n',
      'POST /first HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n',
    ]) {
      const before = upstream.requests.length;
      const reply = await exchange(gw.port, `${head}3\r\nabc\r\n0\r\n\r\n${pipelined}`);
      assert.deepEqual(statuses(reply.text), [400], `${JSON.stringify(head)} got:\n${reply.text}`);
      assertProblem(parseRawResponse(reply.text), 400, 'request.malformed');
      assert.equal(parseRawResponse(reply.text).headers.connection, 'close');
      assert.ok(reply.closed, 'the connection is closed');
      assert.equal(upstream.requests.length, before, 'neither request reached the upstream');
    }
    await gw.logs.waitFor((r) => r.event === 'request.after_framing_fault');
  });

  test('refuses transfer codings other than one chunked with 501 request.not_implemented and closes', async () => {
    for (const coding of ['gzip, chunked', ',chunked', 'gzip\r\nTransfer-Encoding: chunked', 'x-custom ;q=1, chunked']) {
      const before = upstream.requests.length;
      const reply = await exchange(gw.port, `POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\n\r\n3\r\nabc\r\n0\r\n\r\n${pipelined}`);
      assert.deepEqual(statuses(reply.text), [501], `${JSON.stringify(coding)} got:\n${reply.text}`);
      assertProblem(parseRawResponse(reply.text), 501, 'request.not_implemented');
      assert.ok(reply.closed, 'the connection is closed');
      assert.equal(upstream.requests.length, before, 'nothing reached the upstream');
    }
  });

  test('refuses ambiguous framing that the parser catches with 400 and closes', async () => {
    for (const framing of ['Transfer-Encoding: chunked\r\nContent-Length: 3', 'Content-Length: 3\r\nContent-Length: 4', 'Transfer-Encoding: chunked, identity', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked']) {
      const before = upstream.requests.length;
      const reply = await exchange(gw.port, `POST /first HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n3\r\nabc\r\n0\r\n\r\n${pipelined}`);
      assert.deepEqual(statuses(reply.text), [400], `${JSON.stringify(framing)} got:\n${reply.text}`);
      assert.ok(reply.closed);
      assert.equal(upstream.requests.length, before);
    }
  });

  test('serves chunked HTTP/1.1 requests and the requests pipelined after them', async () => {
    const reply = await exchange(gw.port, `POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(statuses(reply.text), [200, 200]);
    assert.match(reply.text, /"url":"\/first","bodyLength":3/);
    assert.match(reply.text, /"url":"\/second"/);
  });
});

describe('responses without content (RFC 9110 §6.4.1, §8.6)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream((req, res) => {
      // Node sends these heads as written and no body for 204, 304 and HEAD.
      if (req.url === '/not-modified') res.writeHead(304, { 'content-length': '12', etag: '"v1"' });
      else if (req.url === '/no-content') res.writeHead(204, { 'content-length': '12' });
      else if (req.method === 'HEAD') res.writeHead(200, { 'content-length': '12', 'content-type': 'text/plain' });
      else res.writeHead(200, { 'content-length': '5', 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' || req.url !== '/plain' ? undefined : 'after');
    });
    gw = await startGateway(baseConfig([upstream.url]));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  /** Sends one request then GET /plain on the same connection; both must come back intact. */
  async function thenPlain(requestLine: string): Promise<string> {
    const reply = await exchange(gw.port, `${requestLine}\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const at = reply.text.indexOf('HTTP/1.1', 1);
    assert.ok(at > 0, `two responses expected, got:\n${reply.text}`);
    const second = parseRawResponse(reply.text.slice(at));
    assert.equal(second.status, 200);
    assert.equal(second.body, 'after', 'the connection still frames the next response right');
    return reply.text.slice(0, at);
  }

  test('passes a 304 with Content-Length to the client with its headers and no body', async () => {
    const first = await thenPlain('GET /not-modified HTTP/1.1');
    const reply = parseRawResponse(first);
    assert.equal(reply.status, 304);
    assert.equal(reply.headers.etag, '"v1"');
    assert.equal(reply.headers['content-length'], '12', 'a 304 may say the length of what it did not send');
    assert.equal(reply.body, '');
    const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/not-modified');
    assert.equal(line.status, 304);
    assert.equal(line.code, undefined);
    assert.equal(line.incomplete, undefined);
  });

  test('passes a 204 to the client without a body and without Content-Length', async () => {
    const reply = parseRawResponse(await thenPlain('GET /no-content HTTP/1.1'));
    assert.equal(reply.status, 204);
    assert.equal(reply.headers['content-length'], undefined, 'RFC 9110 §8.6: no Content-Length in a 204');
    assert.equal(reply.body, '');
  });

  test('passes a HEAD answer with Content-Length to the client with no body', async () => {
    const reply = parseRawResponse(await thenPlain('HEAD /resource HTTP/1.1'));
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-length'], '12');
    assert.equal(reply.body, '');
  });
});

describe('request target length (RFC 9112 §3)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { listeners: [{ name: 'public', host: '127.0.0.1', port: 0, maxUriBytes: 1024, maxHeaderBytes: 4096 }] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('answers a target longer than maxUriBytes with 414 request.uri_too_long and an access line', async () => {
    const reply = await exchange(gw.port, `GET /${'a'.repeat(1100)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const problem = assertProblem(parseRawResponse(reply.text), 414, 'request.uri_too_long');
    const line = await gw.logs.accessLine(problem.instance);
    assert.equal(line.code, 'request.uri_too_long');
    assert.ok(String(line.path).length <= 512, 'the log keeps a cut of the target');
  });

  test('answers a target of exactly maxUriBytes', async () => {
    const reply = parseRawResponse((await exchange(gw.port, `GET /${'a'.repeat(1023)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).text);
    assert.equal(reply.status, 200);
  });

  test('answers a request line longer than the whole head limit with 414, not 431', async () => {
    for (const target of [`/${'a'.repeat(10_000)}`, `/x?q=${'b'.repeat(10_000)}`, `http://x/${'c'.repeat(10_000)}`]) {
      const reply = await exchange(gw.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assertProblem(parseRawResponse(reply.text), 414, 'request.uri_too_long');
      assert.ok(reply.closed);
    }
    // The same after a request served on the same connection, in the same read.
    const reply = await exchange(gw.port, `GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.deepEqual(statuses(reply.text), [200, 414]);
  });

  test('still answers a head too large in its header fields with 431', async () => {
    for (const fields of [`X-Big: ${'b'.repeat(10_000)}\r\n`, `X-Path: GET /${'b'.repeat(10_000)}\r\n`, Array.from({ length: 300 }, (_, i) => `X-${i}: ${'v'.repeat(20)}\r\n`).join('')]) {
      const reply = await exchange(gw.port, `GET /x HTTP/1.1\r\nHost: x\r\n${fields}\r\n`);
      assertProblem(parseRawResponse(reply.text), 431, 'request.header_too_large');
    }
  });
});

describe('methods the gateway cannot proxy', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url]));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('answers CONNECT with 501 request.not_implemented and an access line, never a silent close', async () => {
    for (const target of ['a.example:443', 'http://a.example/', '/x']) {
      const reply = await exchange(gw.port, `CONNECT ${target} HTTP/1.1\r\nHost: a.example:443\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.deepEqual(statuses(reply.text), [501], reply.text);
      const problem = assertProblem(parseRawResponse(reply.text), 501, 'request.not_implemented');
      assert.ok(reply.closed);
      const line = await gw.logs.accessLine(problem.instance);
      assert.equal(line.method, 'CONNECT');
      assert.equal(line.status, 501);
    }
    assert.equal(upstream.requests.length, 0);
  });

  test('answers methods no route can serve (TRACE, PROPFIND, ...) with 501 and an access line', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH', 'QUERY', 'PURGE', 'LINK']) {
      const reply = parseRawResponse((await exchange(gw.port, `${method} /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).text);
      const problem = assertProblem(reply, 501, 'request.not_implemented');
      assert.equal((await gw.logs.accessLine(problem.instance)).method, method);
    }
    assert.equal(upstream.requests.length, 0);
  });

  test('answers a method the parser does not know with 400 and an access line', async () => {
    const reply = parseRawResponse((await exchange(gw.port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n')).text);
    const problem = assertProblem(reply, 400, 'request.malformed');
    assert.equal((await gw.logs.accessLine(problem.instance)).event, 'request.rejected_by_parser');
  });
});
