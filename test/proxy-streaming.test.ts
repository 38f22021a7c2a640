import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { baseConfig, eventually, startGateway, startUpstream } from './helpers/index.js';

/** A body larger than every socket and stream buffer on the way, so backpressure must work. */
const LARGE = Buffer.alloc(8 * 1024 * 1024);
for (let i = 0; i < LARGE.length; i += 4) LARGE.writeUInt32LE((i * 2654435761) >>> 0, i);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('response bodies streamed straight from the upstream', () => {
  test('delivers a body larger than the socket buffers byte for byte to a client that reads slowly', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(LARGE.length) });
      // In many writes, so the gateway gets many chunks and has to pause the upstream.
      for (let offset = 0; offset < LARGE.length; offset += 64 * 1024) res.write(LARGE.subarray(offset, offset + 64 * 1024));
      res.end();
    });
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      const received = await new Promise<Buffer>((resolve, reject) => {
        request(`${gw.url}/large`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            // Read in fits and starts: the gateway's writes to this client fill up meanwhile.
            res.pause();
            setImmediate(() => res.resume());
          });
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(received.length, LARGE.length);
      assert.equal(sha256(received), sha256(LARGE));
      const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/large');
      assert.equal(line.status, 200);
      assert.equal(line.bytesOut, LARGE.length);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('aborts the upstream response when the client leaves mid-body, and logs clientAborted', async () => {
    // The upstream would send forever: only the client leaving ends it.
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const gw = await startGateway(baseConfig([upstream.url]));
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${gw.url}/endless`, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > 256 * 1024) req.destroy();
          });
          res.on('error', () => {});
          res.on('close', () => resolve());
        });
        req.on('error', () => {});
        req.on('close', () => resolve());
        req.once('error', reject).end();
      });
      await eventually(() => upstream.requests.length === 1 && upstream.requests[0]!.aborted, 'the upstream response is aborted');
      await eventually(() => gw.gateway.inflight === 0, 'no request is left in flight');
      const line = await gw.logs.waitFor((r) => r.type === 'access' && r.path === '/endless');
      assert.equal(line.clientAborted, true);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
