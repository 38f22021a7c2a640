/**
 * Puts together a node's change following: the one follower over the store's change feed and, on
 * PostgreSQL, the LISTEN connection that wakes it when any node commits a change.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import { ChangeFeed } from './change-feed.js';
import { ChangeFollower } from './change-follower.js';
import { ChangeListener } from './change-listener.js';
import type { OpenedStore } from './open-store.js';

export interface FollowSettings {
  readonly pollIntervalMs: number;
  readonly retentionSeconds: number;
  /** PostgreSQL: where to LISTEN (a connection of its own). */
  readonly postgres?: { readonly url: string; readonly connectTimeoutMs: number } | undefined;
}

export interface FollowedStore {
  readonly follower: ChangeFollower;
  /** PostgreSQL: the LISTEN connection (undefined on SQLite). */
  readonly listener: ChangeListener | undefined;
  /** Loads the projections added so far, then follows: listens, polls, prunes. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function followStore(store: OpenedStore, settings: FollowSettings, deps: { logger: Logger; clock: Clock }): FollowedStore {
  const follower = new ChangeFollower(new ChangeFeed(store.db, store.dialect), { pollIntervalMs: settings.pollIntervalMs, retentionSeconds: settings.retentionSeconds, ...deps });
  const listener =
    store.dialect === 'postgres' && settings.postgres
      ? new ChangeListener({ url: settings.postgres.url, schema: store.schema, connectTimeoutMs: settings.postgres.connectTimeoutMs, onChange: () => follower.nudge(), logger: deps.logger })
      : undefined;
  return {
    follower,
    listener,
    async start() {
      await follower.start();
      // Connecting wakes the follower once, for anything committed between its load and the LISTEN.
      await listener?.start();
    },
    async stop() {
      await listener?.stop();
      await follower.stop();
    },
  };
}
