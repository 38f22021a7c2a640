/**
 * The queue of notifications waiting for delivery, one entry per (sink, notification). Bounded:
 * past `maxQueued` the oldest entries are dropped (the caller logs and counts them). Two kinds:
 * in memory (no store configured) and in the store (store-queue.ts), so a restart does not lose a
 * firing alert and each entry is delivered by one node.
 */
import type { AlertNotification } from './notification.js';

export interface QueuedNotification {
  readonly id: number;
  readonly sink: string;
  readonly notification: AlertNotification;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Epoch ms before which it is not tried again. */
  readonly notBefore: number;
}

export interface NotificationQueue {
  /** Adds entries; returns those dropped to stay within `maxQueued` (oldest first). */
  add(entries: ReadonlyArray<{ sink: string; notification: AlertNotification }>, maxQueued: number, now: number): Promise<QueuedNotification[]>;
  /** Entries due at `now`, oldest first, at most `limit`. */
  due(now: number, limit: number): Promise<QueuedNotification[]>;
  /** Removes a delivered (or given-up) entry. */
  remove(id: number): Promise<void>;
  /** Records a failed attempt: tried again not before `notBefore`. */
  retryLater(id: number, attempts: number, notBefore: number): Promise<void>;
  /** How many entries wait. */
  size(): Promise<number>;
}

export class MemoryQueue implements NotificationQueue {
  #next = 1;
  readonly #entries = new Map<number, QueuedNotification>();

  async add(entries: ReadonlyArray<{ sink: string; notification: AlertNotification }>, maxQueued: number, now: number): Promise<QueuedNotification[]> {
    for (const entry of entries) {
      const id = this.#next++;
      this.#entries.set(id, { id, sink: entry.sink, notification: entry.notification, attempts: 0, notBefore: now });
    }
    const dropped: QueuedNotification[] = [];
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= maxQueued) break;
      this.#entries.delete(id);
      dropped.push(entry);
    }
    return dropped;
  }

  async due(now: number, limit: number): Promise<QueuedNotification[]> {
    return [...this.#entries.values()].filter((entry) => entry.notBefore <= now).slice(0, limit);
  }

  async remove(id: number): Promise<void> {
    this.#entries.delete(id);
  }

  async retryLater(id: number, attempts: number, notBefore: number): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry) this.#entries.set(id, { ...entry, attempts, notBefore });
  }

  async size(): Promise<number> {
    return this.#entries.size;
  }
}
