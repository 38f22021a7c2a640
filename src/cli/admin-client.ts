/**
 * The CLI's side of the admin API: URL and token from flags or the environment
 * (PORTCULLIS_ADMIN_URL, PORTCULLIS_ADMIN_TOKEN; the environment is the better place for a token,
 * since flags show up in process listings and shell history), else the session `portcullis login`
 * stored (session-file.ts).
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { Agent, fetch as undiciFetch } from 'undici';
import { StartupError } from '../server/listen.js';
import { readSession } from './session-file.js';

export interface AdminOptions {
  adminUrl?: string;
  token?: string;
  json?: boolean;
  /** An HTTPS admin listener (admin.tls): the CA its certificate chains to, and a client certificate when it asks for one. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export class CliError extends Error {}

export function addAdminOptions(command: Command): Command {
  return command
    .option('--admin-url <url>', 'admin API address (default: $PORTCULLIS_ADMIN_URL or http://127.0.0.1:9901)')
    .option('--token <token>', 'admin token (prefer $PORTCULLIS_ADMIN_TOKEN: flags are visible to other users)')
    .option('--json', 'print JSON instead of a table')
    .option('--ca-file <path>', 'PEM CA file the HTTPS admin listener\'s certificate chains to (default: $PORTCULLIS_ADMIN_CA_FILE, else the system CAs)')
    .option('--cert-file <path>', 'PEM client certificate, when the admin listener requires one (default: $PORTCULLIS_ADMIN_CERT_FILE)')
    .option('--key-file <path>', 'PEM private key of --cert-file (default: $PORTCULLIS_ADMIN_KEY_FILE)');
}

/** The TLS side of calls to an HTTPS admin listener: undefined when nothing is configured (system CAs, no client certificate). */
function adminDispatcher(options: AdminOptions): Agent | undefined {
  const file = (value: string | undefined, what: string) => {
    if (value === undefined || value === '') return undefined;
    try {
      return readFileSync(value, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the ${what} ${value}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const ca = file(options.caFile ?? process.env.PORTCULLIS_ADMIN_CA_FILE, 'CA file');
  const cert = file(options.certFile ?? process.env.PORTCULLIS_ADMIN_CERT_FILE, 'client certificate');
  const key = file(options.keyFile ?? process.env.PORTCULLIS_ADMIN_KEY_FILE, 'client key');
  if ((cert === undefined) !== (key === undefined)) throw new CliError('a client certificate needs both --cert-file and --key-file');
  if (ca === undefined && cert === undefined) return undefined;
  return new Agent({ connect: { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) } });
}

export function adminBase(options: AdminOptions): string {
  return (options.adminUrl ?? process.env.PORTCULLIS_ADMIN_URL ?? 'http://127.0.0.1:9901').replace(/\/+$/, '');
}

export async function adminCall(options: AdminOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = adminBase(options);
  const token = options.token ?? process.env.PORTCULLIS_ADMIN_TOKEN ?? readSession(base)?.token;
  if (!token && path !== '/v1/login') throw new CliError('no admin token: run portcullis login, or set PORTCULLIS_ADMIN_TOKEN (or pass --token)');
  const dispatcher = adminDispatcher(options);
  let response: Awaited<ReturnType<typeof undiciFetch>>;
  try {
    response = await undiciFetch(`${base}${path}`, {
      method,
      headers: { ...(token && path !== '/v1/login' ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(dispatcher ? { dispatcher } : {}),
    });
  } catch (error) {
    await dispatcher?.close();
    throw new CliError(`cannot reach the admin API at ${base}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`);
  }
  const text = await response.text().finally(() => dispatcher?.close());
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    throw new CliError(`${response.status}: ${base} did not answer with JSON: is it a Portcullis admin listener?`);
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as { code?: string; detail?: string; errors?: Array<{ pointer: string; message: string }> };
    const details = (problem.errors ?? []).map((e) => `\n  ${e.pointer}: ${e.message}`).join('');
    throw new CliError(`${response.status} ${problem.code ?? ''}: ${problem.detail ?? text}${details}`);
  }
  return parsed;
}

/** Items per page when the CLI lists: the most the admin API gives, so a long list takes few calls. */
const LIST_PAGE_SIZE = 1000;

/**
 * Every item of an admin API list, following `nextCursor` page by page (the API answers at most
 * 1000 items a call). `path` may carry filters (`/v1/keys?consumerId=…`).
 */
export async function adminList<T>(options: AdminOptions, path: string): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(LIST_PAGE_SIZE), ...(cursor === null ? {} : { cursor }) });
    const page = (await adminCall(options, 'GET', `${path}${path.includes('?') ? '&' : '?'}${query}`)) as { items: T[]; nextCursor?: string | null };
    items.push(...page.items);
    cursor = page.nextCursor ?? null;
    // A server that hands back a cursor twice would keep this loop going for ever.
    if (cursor !== null && seen.has(cursor)) throw new CliError(`the admin API repeated the cursor of ${path}: stopping`);
    if (cursor !== null) seen.add(cursor);
  } while (cursor !== null);
  return items;
}

/** A plain text table: one header row, columns padded to fit. */
export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cell = (value: unknown) => (value === null || value === undefined ? '-' : Array.isArray(value) ? value.join(' ') || '-' : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((row) => line(columns.map((c) => cell(row[c]))))].join('\n') + '\n';
}

export function print(options: AdminOptions, value: unknown, render: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : render());
}

/**
 * Runs a command action; a CliError or a StartupError (a port in use, say) prints its message in
 * one line and exits 1, anything else is a bug.
 */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (!(error instanceof CliError) && !(error instanceof StartupError)) throw error;
      process.stderr.write(`portcullis: ${error instanceof StartupError ? 'could not start: ' : ''}${error.message}\n`);
      process.exitCode = 1;
    }
  };
}

/** A commander parser for a TCP port option: a whole number 0..65535 (0 picks a free port). */
export function port(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`${name} must be a port number from 0 to 65535`);
    return Number(value);
  };
}
