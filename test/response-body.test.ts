/**
 * The response-body seam on real sockets: an upstream that codes its answers, undici reading
 * them, and a front server that hands each body to the seam, lets a "policy" act on it, and sends
 * the head and body as the gateway does. Checks what a client then receives, bytes and headers.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { request } from 'undici';
import type { RequestContext } from '../src/core/context.js';
import { GatewayError } from '../src/core/errors.js';
import { endToEndHeaders } from '../src/server/forwarding.js';
import { UpstreamResponseBody } from '../src/server/response-body.js';
import { startUpstream, type TestUpstream } from './helpers/index.js';

const JSON_TEXT = JSON.stringify({ name: 'alice', card: '4111111111111111' });
const REDACTED = JSON.stringify({ name: 'alice', card: '****' });

const BODIES: Record<string, { coding?: string; body: Buffer }> = {
  gzip: { coding: 'gzip', body: zlib.gzipSync(JSON_TEXT) },
  br: { coding: 'br', body: zlib.brotliCompressSync(JSON_TEXT) },
  zstd: { coding: 'zstd', body: Buffer.from(JSON_TEXT) },
  bomb: { coding: 'gzip', body: zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024)) },
};

/** What a respond-phase policy does with the body, per test path. */
type Action = (body: UpstreamResponseBody) => void | Promise<void>;

function upperCase(): Transform {
  return new Transform({ transform: (chunk: Buffer, _encoding, callback) => callback(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1')) });
}

describe('the response-body seam', () => {
  let upstream: TestUpstream;
  let front: Server;
  let frontUrl: string;
  const actions = new Map<string, Action>();
  const contexts = new Map<string, RequestContext>();

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const answer = BODIES[req.url!.split('/')[1]!]!;
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': answer.coding ?? 'identity', 'content-length': answer.body.length, etag: '"abc"', 'content-digest': 'sha-256=:x:' });
      res.end(answer.body);
    });
    front = createServer(async (req, res) => {
      const ctx = { bytesOut: 0, logFields: {}, error: undefined } as unknown as RequestContext;
      contexts.set(req.url!, ctx);
      const upstreamResponse = await request(`${upstream.url}${req.url}`, { headers: { 'accept-encoding': 'gzip, br' } });
      const headers = endToEndHeaders(upstreamResponse.headers);
      const body = new UpstreamResponseBody(ctx, upstreamResponse.body, headers, upstream.url, 1024 * 1024);
      try {
        await actions.get(req.url!)?.(body);
      } catch (error) {
        body.discard();
        res.writeHead(502, { 'x-error': (error as GatewayError).code });
        res.end();
        return;
      }
      res.writeHead(upstreamResponse.statusCode, headers);
      await body.deliver(res);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  after(async () => {
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
    await upstream.close();
  });

  async function fetchRaw(path: string, action: Action | undefined): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; error?: Error }> {
    if (action) actions.set(path, action);
    const response = await request(`${frontUrl}${path}`);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
    } catch (error) {
      return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), error: error as Error };
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
  }

  test('a replaced gzip body goes out uncoded with its own Content-Length, no ETag or digest, and Vary: accept-encoding', async () => {
    let seen: string | undefined;
    const reply = await fetchRaw('/gzip/replace', async (body) => {
      seen = (await body.read(1024))?.toString();
      body.replace(Buffer.from(REDACTED));
    });
    assert.equal(seen, JSON_TEXT, 'the policy read the body decoded');
    assert.equal(reply.body.toString(), REDACTED);
    assert.equal(reply.headers['content-encoding'], undefined);
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(REDACTED)));
    assert.equal(reply.headers.etag, undefined, 'no strong ETag of the old representation (RFC 9110 §8.8.3)');
    assert.equal(reply.headers['content-digest'], undefined);
    assert.equal(reply.headers.vary, 'accept-encoding');
  });

  test('a body transformed as a stream, unread, is decoded as it arrives and sent chunked and uncoded', async () => {
    for (const coding of ['gzip', 'br']) {
      const reply = await fetchRaw(`/${coding}/transform`, (body) => body.transform(upperCase()));
      assert.equal(reply.body.toString(), JSON_TEXT.toUpperCase(), coding);
      assert.equal(reply.headers['content-encoding'], undefined, coding);
      assert.equal(reply.headers['content-length'], undefined, coding);
      assert.equal(reply.headers['transfer-encoding'], 'chunked', coding);
      assert.equal(reply.headers.etag, undefined, coding);
    }
  });

  test('a read body can still be transformed, and a replaced one too: stages apply in order', async () => {
    const read = await fetchRaw('/gzip/read-transform', async (body) => {
      await body.read(1024);
      body.transform(upperCase());
    });
    assert.equal(read.body.toString(), JSON_TEXT.toUpperCase());
    const replaced = await fetchRaw('/br/replace-transform', (body) => {
      body.replace(Buffer.from(REDACTED));
      body.transform(upperCase());
    });
    assert.equal(replaced.body.toString(), REDACTED.toUpperCase());
    assert.equal(replaced.headers['content-length'], undefined);
  });

  test('a body no one touched is sent byte for byte, coding, length and ETag as received', async () => {
    const reply = await fetchRaw('/gzip/untouched', undefined);
    assert.deepEqual(reply.body, BODIES.gzip!.body);
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-length'], String(BODIES.gzip!.body.length));
    assert.equal(reply.headers.etag, '"abc"');
  });

  test('a coding the seam cannot decode refuses read, replace and transform with upstream.content_encoding_unsupported', async () => {
    for (const [name, action] of Object.entries<Action>({ read: async (body) => void (await body.read(1024)), replace: (body) => body.replace(Buffer.from('{}')), transform: (body) => body.transform(upperCase()) })) {
      const reply = await fetchRaw(`/zstd/${name}`, action);
      assert.equal(reply.status, 502, name);
      assert.equal(reply.headers['x-error'], 'upstream.content_encoding_unsupported', name);
    }
  });

  test('a streamed decompression bomb is cut off at the limit, and the error says why', async () => {
    const reply = await fetchRaw('/bomb/transform', (body) => body.transform(upperCase()));
    assert.ok(reply.error, 'the client sees a cut-off body');
    assert.ok(reply.body.length <= 1024 * 1024, `at most the limit was sent (${reply.body.length})`);
    assert.equal(contexts.get('/bomb/transform')!.error?.code, 'upstream.response_too_large');
  });
});
