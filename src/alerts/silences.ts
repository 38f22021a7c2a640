/**
 * Silences (docs/alerts.md#silences): matchers, an author, a reason and an expiry. While one is
 * active, the alerts it matches are shown as silenced and not sent. Kept in the store (created and
 * expired through the admin API or CLI, each an audited unit of work) or, without a store, in memory.
 */
import type { Matchers } from './matchers.js';

export interface Silence {
  readonly id: string;
  readonly matchers: Matchers;
  readonly author: string;
  readonly reason: string;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly createdAt: Date;
}

/** Where the engine reads the silences in force from. */
export interface SilenceSource {
  /** Silences with startsAt ≤ now < endsAt. */
  active(now: number): Promise<readonly Silence[]>;
}
