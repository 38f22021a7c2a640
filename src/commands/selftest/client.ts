/**
 * How selftest talks to the target: every request and connection is counted against a budget
 * (`--max-requests`) and bounded by a per-request timeout, so a probe can never turn into a load
 * test or hang the run. HTTP requests go through node:http(s) with a fresh connection each (no
 * pooling: one probe's connection state never leaks into the next); raw exchanges write bytes on a
 * socket as they are, for the probes whose point is a malformed message.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The problem's `code` when the answer is application/problem+json. */
  readonly code: string | undefined;
}

export interface RawAnswer {
  /** Everything the server wrote, as latin1 text. */
  readonly text: string;
  /** Whether the server closed the connection before the timeout. */
  readonly closed: boolean;
  /** The status codes of every response in `text`, in order. */
  readonly statuses: number[];
  /** Bytes written before the server answered or closed (less than sent: the server stopped reading). */
  readonly written: number;
}

const WRITE_SLICE_BYTES = 64 * 1024;

export class BudgetExhausted extends Error {
  constructor(max: number) {
    super(`the request budget (${max}) is spent`);
  }
}

export interface ClientOptions {
  readonly maxRequests: number;
  readonly timeoutMs: number;
  /** Trust anchors for an HTTPS target (PEM), beside the system's. */
  readonly ca?: string | undefined;
}

export class SelftestClient {
  private spent = 0;
  constructor(
    readonly target: URL,
    private readonly options: ClientOptions,
  ) {}

  /** Requests made so far. */
  get requests(): number {
    return this.spent;
  }

  /** Counts one request or connection; throws BudgetExhausted past the budget. */
  take(count = 1): void {
    if (this.spent + count > this.options.maxRequests) throw new BudgetExhausted(this.options.maxRequests);
    this.spent += count;
  }

  /** One HTTP request on a fresh connection; `path` is sent as written (not normalised). */
  send(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<Answer> {
    this.take();
    const https = this.target.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        { host: this.target.hostname, port: this.target.port || (https ? 443 : 80), method, path, headers: options.headers, agent: false, timeout: options.timeoutMs ?? this.options.timeoutMs, ...(https ? { ca: this.options.ca, servername: this.target.hostname } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code: problemCode(res.headers, body) });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? this.options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Opens a connection to the target (TLS when the target is HTTPS), counted against the budget unless the caller took it already. */
  connect(count = true): Socket {
    if (count) this.take();
    const port = Number(this.target.port || (this.target.protocol === 'https:' ? 443 : 80));
    return this.target.protocol === 'https:' ? tlsConnect({ host: this.target.hostname, port, servername: this.target.hostname, ca: this.options.ca }) : netConnect(port, this.target.hostname);
  }

  /** Writes `bytes` on a fresh connection and reads until the server closes it or `waitMs` passes. */
  raw(bytes: string | Buffer, waitMs = this.options.timeoutMs): Promise<RawAnswer> {
    const socket = this.connect();
    return new Promise((resolve) => {
      let text = '';
      let closed = false;
      let written = 0;
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ text, closed, written, statuses: [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1])) });
      };
      const timer = setTimeout(finish, waitMs);
      socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
      socket.on('end', () => {
        closed = true;
        finish();
      });
      socket.on('close', () => {
        closed = true;
        finish();
      });
      // A server that answers and closes while bytes are still being written gives EPIPE/ECONNRESET.
      socket.on('error', () => undefined);
      // Written in slices, and no more once the server answers: a server that refuses a body
      // early and closes would otherwise reset the connection under its own answer.
      const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      const writeFrom = (offset: number): void => {
        while (offset < data.length && text === '' && !socket.destroyed) {
          const slice = data.subarray(offset, offset + WRITE_SLICE_BYTES);
          offset += slice.length;
          written = offset;
          if (!socket.write(slice)) {
            socket.once('drain', () => writeFrom(offset));
            return;
          }
        }
      };
      socket.once(this.target.protocol === 'https:' ? 'secureConnect' : 'connect', () => writeFrom(0));
    });
  }
}

function problemCode(headers: IncomingHttpHeaders, body: string): string | undefined {
  if (!String(headers['content-type'] ?? '').startsWith('application/problem+json')) return undefined;
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** `401 auth.key_invalid`: an answer as the report shows it. */
export function describeAnswer(answer: Answer): string {
  return answer.code === undefined ? String(answer.status) : `${answer.status} ${answer.code}`;
}
