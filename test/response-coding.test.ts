/**
 * Response validation on coded responses (issue 15 §6): the respond phase reads the body decoded
 * from its content coding, the upstream is asked only for codings the gateway decodes, and what
 * it cannot decode (or a decompression bomb) never passes as checked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const CONTRACT = `
openapi: 3.0.3
info: { title: coded responses, version: '1' }
paths:
  /items/{case}:
    get:
      operationId: getItem
      parameters: [{ name: case, in: path, required: true, schema: { type: string } }]
      responses:
        '200':
          description: the item
          content:
            application/json:
              schema: { type: object, required: [id, amount], properties: { id: { type: string }, amount: { type: integer } } }
        '204': { description: nothing }
        '304': { description: not modified }
`;

const VALID = JSON.stringify({ id: 'item-1', amount: 250 });
const INVALID = JSON.stringify({ id: 'item-1', amount: 'lots' });
const BOMB = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024));

/** What the upstream sends for each case: the coded bytes and the Content-Encoding it names. */
const CASES: Record<string, { coding?: string; body: Buffer; status?: number }> = {
  gzip: { coding: 'gzip', body: zlib.gzipSync(VALID) },
  'x-gzip': { coding: 'x-gzip', body: zlib.gzipSync(VALID) },
  deflate: { coding: 'deflate', body: zlib.deflateSync(VALID) },
  'deflate-raw': { coding: 'deflate', body: zlib.deflateRawSync(VALID) },
  br: { coding: 'br', body: zlib.brotliCompressSync(VALID) },
  // RFC 9110 §8.4: codings listed in the order they were applied (gzip first, then br).
  stacked: { coding: 'gzip, br', body: zlib.brotliCompressSync(zlib.gzipSync(VALID)) },
  identity: { body: Buffer.from(VALID) },
  'invalid-gzip': { coding: 'gzip', body: zlib.gzipSync(INVALID) },
  // Bytes a zstd decoder would read as this JSON are beside the point: the gateway cannot check them.
  zstd: { coding: 'zstd', body: Buffer.from(VALID) },
  unknown: { coding: 'snappy', body: Buffer.from(VALID) },
  corrupt: { coding: 'gzip', body: zlib.gzipSync(VALID).subarray(0, 20) },
  trailing: { coding: 'deflate', body: Buffer.concat([zlib.deflateSync(VALID), Buffer.from(INVALID)]) },
  bomb: { coding: 'gzip', body: BOMB },
  'no-content': { coding: 'gzip', body: Buffer.alloc(0), status: 204 },
  'not-modified': { coding: 'gzip', body: Buffer.alloc(0), status: 304 },
};

describe('response validation reads coded responses decoded', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream((req, res) => {
      const answer = CASES[req.url!.split('/').at(-1)!]!;
      const headers: Record<string, string | number> = { 'content-type': 'application/json', etag: '"v1"', vary: 'Accept-Encoding' };
      if (answer.coding) headers['content-encoding'] = answer.coding;
      if (answer.status === 204) {
        res.writeHead(204, { etag: '"v1"' });
        res.end();
        return;
      }
      res.writeHead(answer.status ?? 200, { ...headers, 'content-length': answer.status === 304 ? CASES.gzip!.body.length : answer.body.length });
      res.end(req.method === 'HEAD' || answer.status === 304 ? undefined : answer.body);
    });
    const contract = writeContract(CONTRACT);
    const validate = (mode: string) => ({ validate: { contract, pathPrefix: `/${mode}`, responses: { mode, maxBodyBytes: 1024 * 1024 } } });
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'block', methods: ['GET'], path: '/block/items/:case', upstream: 'backend', policies: validate('block') },
          { name: 'report', methods: ['GET'], path: '/report/items/:case', upstream: 'backend', policies: validate('report') },
          { name: 'plain', methods: ['GET'], path: '/plain/items/:case', upstream: 'backend' },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const lastUpstreamRequest = () => upstream.requests.at(-1)!;

  for (const name of ['gzip', 'x-gzip', 'deflate', 'deflate-raw', 'br', 'stacked', 'identity']) {
    test(`block mode passes a valid ${name} response: 200, the client decodes the same JSON`, async () => {
      const reply = await fetch(`${gw.url}/block/items/${name}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      assert.equal(reply.status, 200, await reply.clone().text());
      assert.deepEqual(await reply.json(), JSON.parse(VALID));
    });
  }

  test('a validated, unchanged response goes out as the upstream sent it: the same bytes, Content-Length and ETag', async () => {
    const reply = await rawGet(`${gw.url}/block/items/gzip`, { 'accept-encoding': 'gzip' });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, CASES.gzip!.body);
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-length'], String(CASES.gzip!.body.length));
    assert.equal(reply.headers.etag, '"v1"');
  });

  test('curl --compressed reads the validated gzip, deflate and br responses', async () => {
    for (const name of ['gzip', 'deflate', 'br']) {
      const { stdout } = await promisify(execFile)('curl', ['-sS', '--compressed', `${gw.url}/block/items/${name}`]);
      assert.deepEqual(JSON.parse(stdout), JSON.parse(VALID), name);
    }
  });

  test('an invalid body under gzip is refused with 502 upstream.contract_violation: the validator read it decoded', async () => {
    const reply = await httpRequest(`${gw.url}/block/items/invalid-gzip`, { headers: { 'accept-encoding': 'gzip' } });
    assertProblem(reply, 502, 'upstream.contract_violation');
    const drift = await gw.logs.waitFor((r) => r.event === 'validate.response_drift' && r.requestId === reply.headers['x-request-id']);
    assert.deepEqual(drift.errors, [{ pointer: '/response/body/amount', keyword: 'type', message: 'must be integer' }]);
  });

  test('zstd and unknown codings are refused with 502 upstream.content_encoding_unsupported', async () => {
    for (const name of ['zstd', 'unknown']) {
      const reply = await httpRequest(`${gw.url}/block/items/${name}`, { headers: { 'accept-encoding': 'zstd, gzip' } });
      assertProblem(reply, 502, 'upstream.content_encoding_unsupported');
      const line = await gw.logs.accessLine(reply.headers['x-request-id']);
      assert.equal(line.code, 'upstream.content_encoding_unsupported');
    }
  });

  test('a corrupt coded body, or bytes after its end, are refused with 502 upstream.content_encoding_invalid', async () => {
    assertProblem(await httpRequest(`${gw.url}/block/items/corrupt`), 502, 'upstream.content_encoding_invalid');
    assertProblem(await httpRequest(`${gw.url}/block/items/trailing`), 502, 'upstream.content_encoding_invalid');
  });

  test('a decompression bomb (10 MiB of zeros in 10 KB of gzip) is refused with 502 upstream.response_too_large, and logged', async () => {
    assert.ok(BOMB.length < 20 * 1024);
    const reply = await httpRequest(`${gw.url}/block/items/bomb`, { headers: { 'accept-encoding': 'gzip' } });
    assertProblem(reply, 502, 'upstream.response_too_large');
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.code, 'upstream.response_too_large');
    assert.match(String(line.internal), /more than 1048576 bytes/);
  });

  test('report mode sends what it could not decode unchecked, and the log line says why', async () => {
    const reply = await rawGet(`${gw.url}/report/items/zstd`, { 'accept-encoding': 'zstd' });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, CASES.zstd!.body);
    const line = await gw.logs.accessLine(reply.headers['x-request-id']);
    assert.equal(line.responseUnchecked, true);
    assert.equal(line.responseUncheckedReason, 'upstream.content_encoding_unsupported');
  });

  test('the upstream is asked only for codings the gateway decodes, in the client\'s order and q-values', async () => {
    await httpRequest(`${gw.url}/block/items/identity`, { headers: { 'accept-encoding': 'zstd, br;q=0.9, x-gzip;q=0.5, *;q=0.1' } });
    assert.equal(lastUpstreamRequest().headers['accept-encoding'], 'br;q=0.9, x-gzip;q=0.5, deflate;q=0.1');
    await httpRequest(`${gw.url}/block/items/identity`, { headers: { 'accept-encoding': 'zstd' } });
    assert.equal(lastUpstreamRequest().headers['accept-encoding'], 'identity');
    await httpRequest(`${gw.url}/block/items/identity`);
    assert.equal(lastUpstreamRequest().headers['accept-encoding'], 'identity');
    // Without a body-reading policy the client's preferences go through as they are.
    await httpRequest(`${gw.url}/plain/items/identity`, { headers: { 'accept-encoding': 'zstd, br;q=0.9' } });
    assert.equal(lastUpstreamRequest().headers['accept-encoding'], 'zstd, br;q=0.9');
  });

  test('HEAD, 204 and 304 have no body to decode or check', async () => {
    const head = await httpRequest(`${gw.url}/block/items/bomb`, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-length'], String(BOMB.length));
    const none = await httpRequest(`${gw.url}/block/items/no-content`);
    assert.equal(none.status, 204);
    assert.equal(none.text, '');
    const notModified = await httpRequest(`${gw.url}/block/items/not-modified`, { headers: { 'if-none-match': '"v1"', 'accept-encoding': 'gzip' } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.text, '');
    assert.equal(notModified.headers.etag, '"v1"');
  });

  test('without a body policy a coded body streams through byte for byte, headers untouched, even one the gateway cannot decode', async () => {
    for (const name of ['bomb', 'zstd', 'corrupt']) {
      const reply = await rawGet(`${gw.url}/plain/items/${name}`, { 'accept-encoding': 'gzip, zstd' });
      assert.equal(reply.status, 200, name);
      assert.deepEqual(reply.body, CASES[name]!.body, name);
      assert.equal(reply.headers['content-encoding'], CASES[name]!.coding, name);
      assert.equal(reply.headers['content-length'], String(CASES[name]!.body.length), name);
      assert.equal(reply.headers.etag, '"v1"', name);
    }
  });
});

/** A GET whose body is kept as the bytes that arrived (no decoding). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}
