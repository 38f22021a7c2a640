/**
 * A small fake payments API for the demo and the tests: accounts and payments in memory. It
 * insists on the bearer token the gateway injects, so the demo shows credential injection, and it
 * advertises its software in `Server` / `X-Powered-By` so the demo shows their removal.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn } from '../server/listen.js';
import { readBoundedBody } from './read-body.js';

interface Payment {
  id: string;
  fromAccount: string;
  toIban: string;
  amount: number;
  currency: string;
  status: 'accepted';
  createdAt: string;
}

const ACCOUNTS = [
  { id: 'acc_1001', owner: 'Ada Lovelace', iban: 'GB33BUKB20201555555555', currency: 'GBP', balance: 125000 },
  { id: 'acc_1002', owner: 'Grace Hopper', iban: 'DE89370400440532013000', currency: 'EUR', balance: 98050 },
];

const MAX_BODY_BYTES = 64 * 1024;

export interface SampleUpstream {
  readonly url: string;
  readonly server: Server;
  /** Whether it listens now (false between stop() and start()). */
  readonly listening: boolean;
  /** Stops listening and drops every connection, as a crashed service would (the demo's alert tour). */
  stop(): Promise<void>;
  /** Listens again on the same address and port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSampleUpstream(options: { token: string; port?: number; host?: string }): Promise<SampleUpstream> {
  const payments = new Map<string, Payment>();
  const server = createServer((req, res) => {
    res.setHeader('server', 'sample-payments/1.0');
    res.setHeader('x-powered-by', 'hand-rolled');
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { error: 'missing or wrong upstream credential' });
    void route(req, res, payments);
  });
  await listenOn(server, options.host ?? '127.0.0.1', options.port ?? 0, 'the sample payments API');
  const address = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    get listening() {
      return server.listening;
    },
    stop,
    async start() {
      if (!server.listening) await listenOn(server, address.address, address.port, 'the sample payments API');
    },
    close: stop,
  };
}

async function route(req: IncomingMessage, res: ServerResponse, payments: Map<string, Payment>): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const [, collection, id, ...rest] = path.split('/');
  if (rest.length > 0) return send(res, 404, { error: 'not found' });
  if (collection === 'accounts' && req.method === 'GET') {
    if (id === undefined) return send(res, 200, { data: ACCOUNTS });
    const account = ACCOUNTS.find((a) => a.id === id);
    return account ? send(res, 200, account) : send(res, 404, { error: 'no such account' });
  }
  if (collection === 'payments' && req.method === 'GET' && id !== undefined) {
    const payment = payments.get(id);
    return payment ? send(res, 200, payment) : send(res, 404, { error: 'no such payment' });
  }
  if (collection === 'payments' && req.method === 'POST' && id === undefined) {
    const body = await readJson(req);
    if (!body || typeof body.fromAccount !== 'string' || typeof body.toIban !== 'string' || typeof body.amount !== 'number') {
      return send(res, 422, { error: 'fromAccount, toIban and amount are required' });
    }
    const payment: Payment = {
      id: `pay_${randomUUID().slice(0, 8)}`,
      fromAccount: body.fromAccount,
      toIban: body.toIban,
      amount: body.amount,
      currency: typeof body.currency === 'string' ? body.currency : 'EUR',
      status: 'accepted',
      createdAt: new Date().toISOString(),
    };
    payments.set(payment.id, payment);
    return send(res, 201, payment);
  }
  return send(res, 404, { error: 'not found' });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const text = await readBoundedBody(req, MAX_BODY_BYTES);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
