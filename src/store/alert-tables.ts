import type { Generated } from 'kysely';

/** The alert engine's tables (migration 0021, docs/alerts.md#delivery and #silences). */

/** One notification waiting for one sink: the persisted queue, so a restart loses no firing alert. */
export interface AlertNotificationsTable {
  /** Assigned by the database (the queue's order). */
  id: Generated<number>;
  sink: string;
  /** The AlertNotification as JSON (dates as RFC 3339). */
  payload: string;
  attempts: number;
  /** Epoch ms before which it is not tried again. */
  not_before: number;
  created_at: number;
}

/** A silence: matchers, who set it, why, and until when (created and expired by units of work). */
export interface AlertSilencesTable {
  id: string;
  /** JSON object of label → value. */
  matchers: string;
  author: string;
  reason: string;
  starts_at: number;
  ends_at: number;
  created_at: number;
}

/** The lease that makes one node of all the only one delivering notifications (like audit_sink_cursors). */
export interface AlertDeliveryLeaseTable {
  name: string;
  owner: string | null;
  lease_until: number | null;
}

export interface AlertTables {
  alert_notifications: AlertNotificationsTable;
  alert_silences: AlertSilencesTable;
  alert_delivery_lease: AlertDeliveryLeaseTable;
}
