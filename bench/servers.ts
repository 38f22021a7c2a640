/**
 * Child processes for the benchmarks, so each server has its own event loop:
 *   node dist/bench/servers.js upstream <port>              a tiny JSON API: GET answers a 199-byte
 *                                                           account (a 2 KB list of ten at
 *                                                           /v1/accounts/list), POST echoes its JSON body
 *   node dist/bench/servers.js reference <port> <upstream>  the reference: node:http + undici, no features
 *   node dist/bench/servers.js sink <port>                  reads and discards request bodies
 * Each sends 'ready' to its parent once listening.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const [role, portText, upstreamUrl] = process.argv.slice(2);
const port = Number(portText);
/** 199 bytes, the size of the account in the measurements. */
const ACCOUNT = JSON.stringify({ id: 'acc_123', owner: 'Ada Lovelace', iban: 'GB33BUKB20201555555555', currency: 'GBP', balance: 1250000, available: 118250, status: 'active', openedOn: '2019-04-01', branch: 'London Bridge Street' });
/** About 2 KB: ten accounts, for the field-minimisation rows (rows.ts LIST_PATH). */
const ACCOUNT_LIST = JSON.stringify({ accounts: Array.from({ length: 10 }, (_, index) => ({ ...JSON.parse(ACCOUNT), id: `acc_${index}` })) });
const ready = () => process.send?.('ready');

if (role === 'upstream') {
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = req.method === 'POST' ? Buffer.concat(chunks) : req.url === '/v1/accounts/list' ? ACCOUNT_LIST : ACCOUNT;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }).listen(port, '127.0.0.1', ready);
} else if (role === 'sink') {
  createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end(String(bytes)));
  }).listen(port, '127.0.0.1', ready);
} else if (role === 'reference') {
  // The smallest honest proxy: forwards method, path and headers, streams both bodies.
  const upstreamHost = new URL(upstreamUrl!).host;
  const pool = new Pool(upstreamUrl!, { connections: 128 });
  createServer(async (req, res) => {
    try {
      const requestHeaders: Record<string, string | string[] | undefined> = { ...req.headers, host: upstreamHost };
      delete requestHeaders.connection;
      delete requestHeaders['keep-alive'];
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
  }).listen(port, '127.0.0.1', ready);
} else if (role !== undefined) {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
