/** HTTPS calls for tests: one fresh TLS connection each, with the CA, client certificate and TLS limits given. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Reply } from './index.js';

export interface TlsReply extends Reply {
  protocol: string | null;
  cipher: string;
}

export function httpsRequest(
  url: string,
  options: { ca?: string | string[]; cert?: string; key?: string; method?: string; headers?: Record<string, string>; body?: string; tls?: Partial<RequestOptions>; agent?: RequestOptions['agent'] } = {},
): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const tls = { ca: pem(options.ca), cert: pem(options.cert), key: pem(options.key) };
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ...tls, agent: options.agent ?? false, ...options.tls }, (res) => {
      const socket = res.socket as TLSSocket;
      const protocol = socket.getProtocol?.() ?? null;
      const cipher = socket.getCipher?.()?.name ?? '';
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers as IncomingHttpHeaders, text, json: <T>() => JSON.parse(text) as T, protocol, cipher });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** PEM text as given, or read from the file named. */
export function pem<T extends string | string[] | undefined>(value: T): T {
  if (value === undefined) return value;
  const read = (item: string) => (item.includes('-----BEGIN') ? item : readFileSync(item, 'utf8'));
  return (Array.isArray(value) ? value.map(read) : read(value)) as T;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (curl, openssl) without a shell; never rejects, the exit code tells. */
export function run(command: string, args: string[], input?: string, timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // A command that exits without reading its input (openssl crl -in …) closes the pipe first:
    // that EPIPE is no failure of the command.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** An `openssl s_client` handshake against a port: the exit code and what it printed. */
export function opensslHandshake(port: number, args: string[]): Promise<CommandResult & { output: string }> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], 'Q\n').then((result) => ({ ...result, output: result.stdout + result.stderr }));
}
