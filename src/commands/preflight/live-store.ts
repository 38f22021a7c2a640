/**
 * The store as preflight sees it: opened once, read-only (never migrated, never created: a SQLite
 * file that is not there yet is left alone), with a connect-and-query probe bounded by the
 * preflight timeout. Unreachable is a finding (PF-STORE-001), and the checks that need the store
 * then report nothing rather than guess.
 */
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import type { GatewayConfig } from '../../config/schema.js';
import { SecretValue } from '../../config/secret.js';
import type { Clock } from '../../core/clock.js';
import { createLogger } from '../../observability/logger.js';
import { openStore, type OpenedStore } from '../../store/open-store.js';
import { Store } from '../../store/store.js';
import { CHECKLIST, finding, OWASP, type Finding, type Rule } from './check.js';

export const STORE_RULES = {
  unreachable: {
    id: 'PF-STORE-001',
    severity: 'critical',
    title: 'The store is unreachable (or its database file is missing)',
    why: `${CHECKLIST.infrastructure}; ${OWASP.API8}`,
    fix: 'Check store.url (PostgreSQL: host, port, credentials, network path) or store.path; `portcullis migrate --config <file>` creates and migrates the store.',
  },
} satisfies Record<string, Rule>;

/** Runs `work` with a deadline: its value, or an Error saying the time ran out. */
export async function within<T>(timeoutMs: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The lazily opened store of a preflight run, and the finding that explains its absence. */
export class PreflightStore {
  #opened: Promise<Store | undefined> | undefined;
  #raw: OpenedStore | undefined;
  readonly findings: Finding[] = [];

  constructor(
    private readonly config: GatewayConfig,
    private readonly options: { readonly offline: boolean; readonly timeoutMs: number; readonly clock: Clock },
  ) {}

  get(): Promise<Store | undefined> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  async close(): Promise<void> {
    await this.#raw?.close().catch(() => {});
  }

  async #open(): Promise<Store | undefined> {
    const section = this.config.store;
    if (this.options.offline || section === undefined) return undefined;
    let location: Parameters<typeof openStore>[0];
    if (section.driver === 'sqlite') {
      if (section.path !== ':memory:' && !existsSync(section.path)) {
        this.findings.push(finding(STORE_RULES.unreachable, `the SQLite store ${section.path} does not exist yet (start creates it)`, { path: 'store.path' }, 'info'));
        return undefined;
      }
      location = { driver: 'sqlite', path: section.path };
    } else {
      // Without resolved secrets (--no-resolve-secrets) the URL is a reference still.
      if (!(section.url instanceof SecretValue)) return undefined;
      location = { driver: 'postgres', url: section.url.reveal(), connectTimeoutMs: Math.min(section.connectTimeoutMs, this.options.timeoutMs), queryTimeoutMs: this.options.timeoutMs };
    }
    try {
      this.#raw = openStore(location);
      await within(this.options.timeoutMs, 'the store', sql`select 1`.execute(this.#raw.db));
    } catch (error) {
      await this.close();
      this.#raw = undefined;
      // The reason from the driver, never the URL (it holds a password).
      this.findings.push(finding(STORE_RULES.unreachable, `the ${section.driver} store does not answer: ${(error as Error).message.split('\n')[0]}`, { path: section.driver === 'postgres' ? 'store.url' : 'store.path' }));
      return undefined;
    }
    return new Store(this.#raw, { clock: this.options.clock, logger: () => quietLogger });
  }
}

const quietLogger = createLogger({ level: 'silent', redactHeaders: [] }, process.stderr);
