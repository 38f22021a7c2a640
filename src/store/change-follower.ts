/**
 * The one change-feed follower of a node (issue 15 §4). It keeps one cursor (the store revision it
 * has applied) and feeds every in-memory projection (consumers, API keys, OAuth state, rate-limit
 * overrides; later admin users and credentials) from the same batch of changes, so no two of them
 * disagree about a consumer for longer than one synchronous install.
 *
 * It catches up when woken (PostgreSQL NOTIFY through change-listener.ts, or a nudge after a local
 * write), and every `pollIntervalMs` as a safety net. A cursor older than the oldest retained change
 * (pruned while the node was away or stuck) reloads every projection from a full snapshot. It also
 * prunes change rows older than the retention. If the store cannot be reached, the projections keep
 * serving what they hold, and that is logged (never silent) until the store is back.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { ChangeFeed, ChangeSet } from './change-feed.js';
import type { ChangeEntity } from './tables.js';

/** Puts what a projection read in place: synchronous, so all projections switch in the same tick. */
export type Install = () => void;

/**
 * An in-memory view of some entity kinds. Both methods only read (asynchronously: queries,
 * decryption, key imports) and return the synchronous step that changes the view; the follower
 * runs every projection's step together, after all have read.
 */
export interface Projection {
  /** For logs. */
  readonly name: string;
  /** The entity kinds whose changes `apply` receives. */
  readonly entities: readonly ChangeEntity[];
  /** Reads everything; the install replaces the whole view. */
  loadSnapshot(): Promise<Install>;
  /** Reads the changed rows (ids of kinds in `entities`; a missing row was deleted). */
  apply(changed: ChangeSet): Promise<Install>;
}

export interface ChangeFollowerOptions {
  /** Safety-net poll, milliseconds (the NOTIFY or a nudge normally comes first). */
  readonly pollIntervalMs: number;
  /** Change rows older than this are pruned; a node further behind reloads from a snapshot. */
  readonly retentionSeconds: number;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** While the store stays unreachable, repeat the error at most this often. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;
/** Prune at most this often (and at least twice per retention period). */
const MAX_PRUNE_INTERVAL_MS = 10 * 60_000;

export class ChangeFollower {
  readonly #projections: Projection[] = [];
  #revision = 0;
  #started = false;
  /** The last queued job: catch-ups, loads and additions run one at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A catch-up queued but not started: later callers share it (it starts after their call). */
  #waiting: Promise<void> | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #outageSince: number | undefined;
  #outageLoggedAt = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly options: ChangeFollowerOptions,
  ) {}

  /** The store revision every projection has applied. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * Adds a projection. Before start() it loads with the others; after, it loads its snapshot now
   * (in turn with catch-ups): the snapshot is at least as new as the cursor, and changes after the
   * cursor are applied to it again, which is harmless (apply reloads rows by id).
   */
  async add(projection: Projection): Promise<void> {
    if (!this.#started) {
      this.#projections.push(projection);
      return;
    }
    // In the queue, so no catch-up hands it changes before its snapshot is in place.
    await this.#enqueue(async () => {
      (await projection.loadSnapshot())();
      this.#projections.push(projection);
    });
  }

  /** Loads every projection (a store failure here is thrown: the node cannot start), then follows. */
  async start(): Promise<void> {
    await this.#enqueue(() => this.#loadAll());
    this.#started = true;
    await this.catchUp();
    this.#pollTimer = setInterval(() => this.nudge(), this.options.pollIntervalMs);
    this.#pollTimer.unref();
    const pruneEveryMs = Math.min(MAX_PRUNE_INTERVAL_MS, (this.options.retentionSeconds * 1000) / 2);
    this.#pruneTimer = setInterval(() => void this.prune().catch(() => {}), pruneEveryMs);
    this.#pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#pollTimer);
    clearInterval(this.#pruneTimer);
    this.#started = false;
    await this.#tail.catch(() => {});
  }

  /** Catch up soon (a NOTIFY, a local write, the poll); errors are logged, never thrown. */
  nudge(): void {
    void this.catchUp();
  }

  /**
   * Applies every change committed before this call to every projection. Never rejects: an
   * unreachable store is logged, and the projections keep what they hold.
   */
  catchUp(): Promise<void> {
    // Before start() nothing is loaded to apply changes to; after stop() nothing is followed.
    if (!this.#started) return Promise.resolve();
    this.#waiting ??= this.#enqueue(async () => {
      this.#waiting = undefined;
      await this.#follow();
    });
    return this.#waiting;
  }

  /** Deletes change rows older than the retention (see ChangeFeed.prune); how many went. */
  async prune(): Promise<number> {
    try {
      const pruned = await this.feed.prune(this.options.clock.now() - this.options.retentionSeconds * 1000);
      if (pruned > 0) this.options.logger.info({ event: 'store.changes_pruned', rows: pruned, retentionSeconds: this.options.retentionSeconds }, 'old change-feed rows pruned');
      return pruned;
    } catch (error) {
      this.options.logger.warn({ event: 'store.changes_prune_failed', err: error }, 'could not prune old change-feed rows; will try again');
      throw error;
    }
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job, job);
    this.#tail = run.catch(() => {});
    return run;
  }

  async #follow(): Promise<void> {
    try {
      // Batch by batch, each applied before the cursor moves on: a failure mid-way resumes there.
      for (;;) {
        const batch = await this.feed.since(this.#revision);
        if (batch.behind) {
          this.options.logger.warn({ event: 'store.change_feed_reload', revision: this.#revision }, 'changes after this node’s revision were pruned: reloading everything from the store');
          await this.#loadAll();
          continue;
        }
        if (batch.revision === this.#revision) break;
        const concerned = this.#projections.filter((projection) => projection.entities.some((entity) => batch.changed[entity].length > 0));
        const installs = await Promise.all(concerned.map((projection) => projection.apply(batch.changed)));
        for (const install of installs) install();
        this.#revision = batch.revision;
        if (batch.complete) break;
      }
      this.#reachable();
    } catch (error) {
      this.#unreachable(error);
    }
  }

  /** The revision is read first, so writes made during the load are applied again afterwards. */
  async #loadAll(): Promise<void> {
    const revision = await this.feed.latestRevision();
    const installs = await Promise.all(this.#projections.map((projection) => projection.loadSnapshot()));
    for (const install of installs) install();
    this.#revision = revision;
  }

  #reachable(): void {
    if (this.#outageSince === undefined) return;
    this.options.logger.info({ event: 'store.reachable_again', outageMs: this.options.clock.now() - this.#outageSince, revision: this.#revision }, 'store reachable again: changes are followed again');
    this.#outageSince = undefined;
  }

  #unreachable(error: unknown): void {
    const now = this.options.clock.now();
    if (this.#outageSince === undefined) this.#outageSince = now;
    else if (now - this.#outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) return;
    this.#outageLoggedAt = now;
    this.options.logger.error(
      { event: 'store.unreachable', since: new Date(this.#outageSince).toISOString(), revision: this.#revision, err: error },
      'store unreachable: serving the last loaded keys, consumers, OAuth state and overrides; changes made meanwhile are not seen until it is back',
    );
  }
}
