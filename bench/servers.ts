/**
 * Child processes for the benchmarks, so each server has its own event loop:
 *   node dist/bench/servers.js upstream <port>              a tiny JSON API
 *   node dist/bench/servers.js reference <port> <upstream>  the reference: node:http + undici, no features
 *   node dist/bench/servers.js sink <port>                  reads and discards request bodies
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const [role, portText, upstreamUrl] = process.argv.slice(2);
const port = Number(portText);
const PAYLOAD = JSON.stringify({ id: 'acc_1001', owner: 'Ada Lovelace', iban: 'GB33BUKB20201555555555', currency: 'GBP', balance: 125000 });

if (role === 'upstream') {
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(PAYLOAD) });
      res.end(PAYLOAD);
    });
  })
    .listen(port, '127.0.0.1', () => process.send?.('ready'));
} else if (role === 'sink') {
  createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end(String(bytes)));
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
} else if (role === 'reference') {
  // The smallest honest proxy: forwards method, path and headers, streams both bodies.
  const pool = new Pool(upstreamUrl!, { connections: 128 });
  createServer(async (req, res) => {
    try {
      const requestHeaders: Record<string, string | string[] | undefined> = { ...req.headers, host: new URL(upstreamUrl!).host };
      delete requestHeaders.connection;
      const { statusCode, headers, body } = await pool.request({
        method: req.method as 'GET',
        path: req.url!,
        headers: requestHeaders as Record<string, string>,
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      });
      res.writeHead(statusCode, headers as Record<string, string>);
      await pipeline(body, res);
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
} else {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
