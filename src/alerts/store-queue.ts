/**
 * The alert engine's state in the store (migration 0021): the bounded notification queue, the
 * delivery lease and the silences. The queue and lease rows are written directly, not through the
 * unit of work: they change on every delivery attempt (as audit_sink_cursors do, and for the same
 * reason); a silence is an operator's decision and goes through `store.write` with recordChange, so
 * it is audited and reaches every node's engine at its next evaluation.
 */
import { randomBytes } from 'node:crypto';
import type { Actor } from '../core/actor.js';
import type { Store } from '../store/store.js';
import { recordChange } from '../store/store.js';
import type { AlertSilencesTable } from '../store/alert-tables.js';
import type { DeliveryLease } from './alert-engine.js';
import type { Matchers } from './matchers.js';
import type { AlertInstance, AlertNotification } from './notification.js';
import type { NotificationQueue, QueuedNotification } from './queue.js';
import type { Silence, SilenceSource } from './silences.js';

type JsonAlert = Omit<AlertInstance, 'startsAt' | 'endsAt'> & { startsAt: string; endsAt?: string };
type JsonNotification = Omit<AlertNotification, 'createdAt' | 'alerts'> & { createdAt: string; alerts: JsonAlert[] };

function revive(payload: string): AlertNotification {
  const json = JSON.parse(payload) as JsonNotification;
  return {
    ...json,
    createdAt: new Date(json.createdAt),
    alerts: json.alerts.map(({ endsAt, ...alert }): AlertInstance => ({ ...alert, startsAt: new Date(alert.startsAt), ...(endsAt === undefined ? {} : { endsAt: new Date(endsAt) }) })),
  };
}

export class StoreQueue implements NotificationQueue {
  constructor(private readonly store: Store) {}

  async add(entries: ReadonlyArray<{ sink: string; notification: AlertNotification }>, maxQueued: number, now: number): Promise<QueuedNotification[]> {
    const db = this.store.db;
    if (entries.length > 0) {
      await db.insertInto('alert_notifications').values(entries.map((entry) => ({ sink: entry.sink, payload: JSON.stringify(entry.notification), attempts: 0, not_before: now, created_at: now }))).execute();
    }
    const size = await this.size();
    if (size <= maxQueued) return [];
    const oldest = await db.selectFrom('alert_notifications').selectAll().orderBy('id').limit(size - maxQueued).execute();
    if (oldest.length > 0) await db.deleteFrom('alert_notifications').where('id', 'in', oldest.map((row) => row.id)).execute();
    return oldest.map((row) => ({ id: Number(row.id), sink: row.sink, notification: revive(row.payload), attempts: Number(row.attempts), notBefore: Number(row.not_before) }));
  }

  async due(now: number, limit: number): Promise<QueuedNotification[]> {
    const rows = await this.store.db.selectFrom('alert_notifications').selectAll().where('not_before', '<=', now).orderBy('id').limit(limit).execute();
    return rows.map((row) => ({ id: Number(row.id), sink: row.sink, notification: revive(row.payload), attempts: Number(row.attempts), notBefore: Number(row.not_before) }));
  }

  async remove(id: number): Promise<void> {
    await this.store.db.deleteFrom('alert_notifications').where('id', '=', id).execute();
  }

  async retryLater(id: number, attempts: number, notBefore: number): Promise<void> {
    await this.store.db.updateTable('alert_notifications').set({ attempts, not_before: notBefore }).where('id', '=', id).execute();
  }

  async size(): Promise<number> {
    const row = await this.store.db.selectFrom('alert_notifications').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirst();
    return Number(row?.count ?? 0);
  }
}

/**
 * One node of all delivers (issue 21 §4): the one holding the row's lease, taken or renewed in one
 * UPDATE (two nodes asking at once cannot both win), lapsing after `leaseMs` when its holder stops
 * renewing (a crash, a partition), released at shutdown so another node takes over at once.
 */
export class StoreLease implements DeliveryLease {
  #ensured = false;

  constructor(
    private readonly store: Store,
    private readonly owner: string,
    private readonly leaseMs = 15_000,
  ) {}

  async hold(now: number): Promise<boolean> {
    const db = this.store.db;
    if (!this.#ensured) {
      await db.insertInto('alert_delivery_lease').values({ name: 'delivery', owner: null, lease_until: null }).onConflict((conflict) => conflict.column('name').doNothing()).execute();
      this.#ensured = true;
    }
    const result = await db
      .updateTable('alert_delivery_lease')
      .set({ owner: this.owner, lease_until: now + this.leaseMs })
      .where('name', '=', 'delivery')
      .where((eb) => eb.or([eb('owner', 'is', null), eb('owner', '=', this.owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async release(): Promise<void> {
    await this.store.db.updateTable('alert_delivery_lease').set({ owner: null, lease_until: null }).where('name', '=', 'delivery').where('owner', '=', this.owner).execute();
  }
}

const toSilence = (row: AlertSilencesTable): Silence => ({
  id: row.id,
  matchers: JSON.parse(row.matchers) as Matchers,
  author: row.author,
  reason: row.reason,
  startsAt: new Date(Number(row.starts_at)),
  endsAt: new Date(Number(row.ends_at)),
  createdAt: new Date(Number(row.created_at)),
});

export class StoreSilences implements SilenceSource {
  constructor(private readonly store: Store) {}

  async active(now: number): Promise<readonly Silence[]> {
    const rows = await this.store.db.selectFrom('alert_silences').selectAll().where('starts_at', '<=', now).where('ends_at', '>', now).orderBy('created_at').execute();
    return rows.map(toSilence);
  }

  /** Silences not yet expired (active or starting later), newest first. */
  async list(now: number): Promise<Silence[]> {
    const rows = await this.store.db.selectFrom('alert_silences').selectAll().where('ends_at', '>', now).orderBy('created_at', 'desc').execute();
    return rows.map(toSilence);
  }

  /** Creates a silence in an audited unit of work; `author` is the actor's description. */
  async create(actor: Actor, input: { matchers: Matchers; author: string; reason: string; startsAt: number; endsAt: number }): Promise<Silence> {
    return this.store.write(actor, 'alert_silence.create', async (tx) => {
      const row: AlertSilencesTable = { id: `sil_${randomBytes(12).toString('base64url')}`, matchers: JSON.stringify(input.matchers), author: input.author, reason: input.reason, starts_at: input.startsAt, ends_at: input.endsAt, created_at: tx.now };
      await tx.db.insertInto('alert_silences').values(row).execute();
      const after = toSilence(row);
      await recordChange(tx, 'alert_silence', row.id, { changes: { before: undefined, after } });
      return after;
    });
  }

  /** Ends a silence now (unsilence); undefined when there is none by that id or it already ended. */
  async expire(actor: Actor, id: string): Promise<Silence | undefined> {
    return this.store.write(actor, 'alert_silence.expire', async (tx) => {
      const row = await tx.db.selectFrom('alert_silences').selectAll().where('id', '=', id).where('ends_at', '>', tx.now).executeTakeFirst();
      if (!row) return undefined;
      await tx.db.updateTable('alert_silences').set({ ends_at: tx.now }).where('id', '=', id).execute();
      const before = toSilence(row);
      const after = { ...before, endsAt: new Date(tx.now) };
      await recordChange(tx, 'alert_silence', id, { changes: { before, after } });
      return after;
    });
  }
}
