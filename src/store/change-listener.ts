/**
 * PostgreSQL LISTEN for the change feed: one dedicated connection per node (a pooled one would
 * lose its LISTEN when the pool recycles it) that hears the `changes` trigger's NOTIFY at commit
 * (migration 0007) and wakes the follower, so a change reaches every node in milliseconds instead
 * of a poll interval. A lost connection is reconnected with backoff (100 ms doubling to 5 s); the
 * follower's poll covers the gap, and every (re)connect wakes it once for what it may have missed.
 */
import type pg from 'pg';
import type { Logger } from '../observability/logger.js';
import { CHANGE_CHANNEL } from './change-feed.js';
import { describePgError } from './pg-errors.js';

export interface ChangeListenerOptions {
  readonly url: string;
  /** The schema the store lives in; default: the connection's current schema. */
  readonly schema?: string | undefined;
  readonly connectTimeoutMs: number;
  /** A change was committed in our schema, or the connection was (re)made: catch up now. */
  readonly onChange: () => void;
  readonly logger: Logger;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** How long stop() waits for an orderly goodbye before dropping the socket (a hung server). */
const END_TIMEOUT_MS = 1000;

export class ChangeListener {
  /** The connection being made or in use; events of any older one are ignored. */
  #current: pg.Client | undefined;
  #client: pg.Client | undefined;
  #schema: string | undefined;
  #stopped = false;
  #backoffMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #lostSince: number | undefined;

  constructor(private readonly options: ChangeListenerOptions) {
    this.#backoffMs = options.minBackoffMs ?? 100;
  }

  /** True while a connection is LISTENing. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** The server process of the LISTEN connection (pg_stat_activity.pid), while there is one. */
  get backendPid(): number | undefined {
    return (this.#client as unknown as { processID?: number } | undefined)?.processID;
  }

  /** Connects and listens; a failure is logged and retried, never thrown (the poll still runs). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#current;
    this.#current = undefined;
    this.#client = undefined;
    if (client) await endClient(client);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    // Loaded on first connect: only a PostgreSQL store has a listener, and pg costs start-up CPU.
    const { default: postgres } = await import('pg');
    if (this.#stopped) return;
    const client = new postgres.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Named, so an operator can tell it apart in pg_stat_activity (it stays idle on purpose).
      application_name: 'portcullis-change-listener',
      ...(this.options.schema ? { options: `-c search_path=${this.options.schema}` } : {}),
    });
    this.#current = client;
    // Without a listener an 'error' event would end the process; a lost connection is retried.
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload === this.#schema) this.options.onChange();
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
      this.#schema = rows[0]!.schema;
      await client.query(`listen ${CHANGE_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (this.#current !== client) return; // stopped meanwhile
    this.#client = client;
    this.#backoffMs = this.options.minBackoffMs ?? 100;
    if (this.#lostSince !== undefined) {
      this.options.logger.info({ event: 'store.listen_resumed', downMs: Date.now() - this.#lostSince }, 'listening for store changes again');
      this.#lostSince = undefined;
    }
    this.options.onChange();
  }

  #lost(client: pg.Client, error: unknown): void {
    if (client !== this.#current) return;
    this.#current = undefined;
    this.#client = undefined;
    void endClient(client);
    if (this.#stopped) return;
    if (this.#lostSince === undefined) {
      this.#lostSince = Date.now();
      this.options.logger.warn({ event: 'store.listen_lost', reason: describePgError(error) }, 'not listening for store changes: polling until the connection is back');
    }
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.options.maxBackoffMs ?? 5000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }
}

/** Ends a client; a hung server never answers the goodbye, so the socket is dropped after a while. */
async function endClient(client: pg.Client): Promise<void> {
  client.removeAllListeners('notification');
  let timer: NodeJS.Timeout | undefined;
  const dropped = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      resolve();
    }, END_TIMEOUT_MS);
    timer.unref();
  });
  await Promise.race([client.end().catch(() => {}), dropped]);
  clearTimeout(timer);
}
