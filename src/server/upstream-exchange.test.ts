import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { Pool } from 'undici';
import type { RequestContext } from '../core/context.js';
import { UpstreamExchange } from './upstream-exchange.js';

test('a client that leaves before the upstream answers makes the head promise reject (the proxy stops waiting) and aborts the upstream request', { timeout: 15_000 }, async () => {
  // A real upstream that never answers, a real undici pool, a real client response.
  let upstreamAborted!: () => void;
  const upstreamSawAbort = new Promise<void>((resolve) => (upstreamAborted = resolve));
  const upstream = createServer((req) => req.socket.once('close', upstreamAborted));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const pool = new Pool(origin);
  let settled!: (outcome: string) => void;
  const outcome = new Promise<string>((resolve) => (settled = resolve));
  let exchange: UpstreamExchange | undefined;
  const gateway = createServer((_req: IncomingMessage, res: ServerResponse) => {
    exchange = new UpstreamExchange({ logFields: {}, bytesOut: 0 } as unknown as RequestContext, res);
    exchange.send(pool, { method: 'GET', path: '/' }, origin).then(() => settled('resolved'), () => settled('rejected'));
  });
  gateway.listen(0, '127.0.0.1');
  await once(gateway, 'listening');
  try {
    const client = connect((gateway.address() as AddressInfo).port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // The request reached the upstream: now the client leaves.
    await new Promise<void>((resolve) => upstream.once('request', () => resolve()));
    client.destroy();
    assert.equal(await outcome, 'rejected');
    assert.equal(exchange!.clientLeft, true);
    await upstreamSawAbort;
  } finally {
    await pool.destroy();
    upstream.closeAllConnections();
    await Promise.all([new Promise((r) => upstream.close(r)), new Promise((r) => gateway.close(r))]);
  }
});
