/**
 * Test helpers: a real upstream HTTP server that records what it receives, a gateway started on
 * port 0 with its log lines captured, and clients that speak real HTTP (or raw bytes) to it.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequestRaw, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { validateConfig, formatIssue } from '../../src/config/loader.js';
import type { Clock } from '../../src/core/clock.js';
import { Gateway, type GatewayOptions } from '../../src/server/gateway.js';

/** How long a test waits for a condition it expects (a log line, a state) before failing. */
export const CONDITION_TIMEOUT_MS = 15_000;

/** Collects pino's output: every line the gateway logs, as text and parsed. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    for (const part of line.split('\n')) if (part.trim() !== '') this.lines.push(part);
  }
  get records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  text(): string {
    return this.lines.join('\n');
  }
  /**
   * Waits until a record matching the predicate has been logged. The bound is generous on purpose:
   * it only decides how long a failing test takes, and a loaded CI machine must not fail a good one.
   */
  async waitFor(predicate: (record: Record<string, unknown>) => boolean, timeoutMs = CONDITION_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching log record within ${timeoutMs} ms; got:\n${this.text()}`);
      await sleep(10);
    }
  }
  /** The access-log line of one request, once written. */
  accessLine(requestId: unknown, timeoutMs = CONDITION_TIMEOUT_MS): Promise<Record<string, unknown>> {
    return this.waitFor((r) => r.type === 'access' && r.requestId === requestId, timeoutMs);
  }
  access(requestId?: string): Array<Record<string, unknown>> {
    return this.records.filter((r) => r.type === 'access' && (requestId === undefined || r.requestId === requestId));
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when the client (the gateway) went away before the body was complete. */
  aborted: boolean;
}

export interface TestUpstream {
  url: string;
  port: number;
  server: Server;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>;

/** By default: reads the whole body and echoes what arrived, as JSON. */
export const echoHandler: UpstreamHandler = (_req, res, recorded) => {
  const body = JSON.stringify({ method: recorded.method, url: recorded.url, headers: recorded.headers, bodyLength: recorded.body.length });
  res.writeHead(200, { 'content-type': 'application/json', server: 'test-upstream/1.0', 'x-powered-by': 'node' });
  res.end(body);
};

export async function startUpstream(handler: UpstreamHandler = echoHandler, options: { readBody?: boolean } = {}): Promise<TestUpstream> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const recorded: RecordedRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0), aborted: false };
    requests.push(recorded);
    req.on('aborted', () => (recorded.aborted = true));
    // A bodiless request is complete at once, so only the unfinished response tells of an abort.
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
    });
    req.on('close', () => {
      if (!req.complete) recorded.aborted = true;
    });
    if (options.readBody === false) {
      void handler(req, res, recorded);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.body = Buffer.concat(chunks);
      void handler(req, res, recorded);
    });
    req.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A config with one listener and the admin listener on free ports, routing everything to `targets`. */
export function baseConfig(targets: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
    admin: { host: '127.0.0.1', port: 0 },
    upstreams: { backend: { targets } },
    routes: [{ name: 'all', methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], path: '/*', upstream: 'backend' }],
    ...extra,
  };
}

export interface TestGateway {
  gateway: Gateway;
  logs: LogCapture;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startGateway(
  raw: Record<string, unknown>,
  /** connectHook and lookup: every outbound connection passes them (GatewayOptions). */
  options: { env?: NodeJS.ProcessEnv; clock?: Clock; configPath?: string; connectHook?: GatewayOptions['connectHook']; lookup?: GatewayOptions['lookup']; assessor?: GatewayOptions['assessor'] } = {},
): Promise<TestGateway> {
  const loaded = validateConfig(raw, options.env ?? {});
  if (!loaded.ok) assert.fail(`test config is invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
  const logs = new LogCapture();
  const gateway = await Gateway.start({ config: loaded.config, logDestination: logs, clock: options.clock, configPath: options.configPath, env: options.env, connectHook: options.connectHook, lookup: options.lookup, ...(options.assessor ? { assessor: options.assessor } : {}) });
  const url = gateway.url();
  return { gateway, logs, url, port: Number(new URL(url).port), close: () => gateway.close(1000) };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request on a fresh connection (no pooling between tests). */
export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequestRaw(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes and returns everything the server writes until it closes (or the timeout). */
export function rawExchange(port: number, chunks: Array<string | Buffer>, options: { gapMs?: number; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, options.timeoutMs ?? 5000);
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answers and closes while we still write gives EPIPE/ECONNRESET: the answer counts.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await sleep(options.gapMs);
      }
    });
  });
}

export function parseRawResponse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = rest.join('\r\n\r\n');
  if (headers['transfer-encoding'] === 'chunked') body = decodeChunked(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function decodeChunked(encoded: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = encoded.indexOf('\r\n', at);
    if (lineEnd === -1) return out;
    const size = parseInt(encoded.slice(at, lineEnd), 16);
    if (!size) return out;
    out += encoded.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** A port nothing listens on right now (for a process that binds it itself). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until the condition holds; fails the test with the message after the timeout. Pass a
 * timeout only where the test names a promise about time ("within a second"); otherwise the
 * default bound is generous, so that a loaded machine cannot fail a test that would pass.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, message: string, timeoutMs = CONDITION_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await sleep(10);
  }
}

/** Asserts a response is an RFC 9457 problem with this code and status. */
export function assertProblem(reply: { status: number; headers: IncomingHttpHeaders | Record<string, string>; text?: string; body?: string }, status: number, code: string): Record<string, unknown> {
  assert.equal(reply.status, status, `expected ${status} ${code}, got ${reply.status}: ${reply.text ?? reply.body}`);
  assert.equal(reply.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(reply.text ?? reply.body ?? '') as Record<string, unknown>;
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.title, 'string');
  assert.equal(typeof problem.detail, 'string');
  assert.equal(problem.type, `https://portcullis.dev/errors/${code}`);
  assert.equal(typeof problem.instance, 'string');
  return problem;
}
