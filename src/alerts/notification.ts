/**
 * What the alert engine hands to a sink (receiver), and what a sink promises back. The engine
 * (rules, grouping, routing, the persisted queue, one sender per cluster) decides *what* to say and
 * *when*; a sink only renders one notification in its receiver's format and delivers it. The shape
 * follows Alertmanager's webhook payload (status, groupKey, groupLabels, alerts with labels,
 * startsAt/endsAt) so that operators who know that stack recognise it (docs/alerts.md).
 */

/** How urgent an alert is. PagerDuty maps `critical`→critical, `warning`→warning, `info`→info. */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** One alert of a rule for one label set (e.g. `route_error_ratio` for route `payments`). */
export interface AlertInstance {
  /** The rule's name, e.g. `route_error_ratio`, `upstream_down`, `certificate_expiry`. */
  readonly rule: string;
  /** The label set the rule fired for: route, upstream, consumer, node, ... (never a secret). */
  readonly labels: Readonly<Record<string, string>>;
  readonly severity: AlertSeverity;
  /** One line: what is wrong, e.g. "5xx ratio 23 % on route payments (threshold 5 %)". */
  readonly summary: string;
  /** Longer text: where, since when, the measured value and the threshold. */
  readonly description: string;
  /** A link to the rule's runbook (docs/alerts.md#<rule> by default). */
  readonly runbookUrl?: string;
  /** When the condition started to hold (after its `for` duration it fired). */
  readonly startsAt: Date;
  /** Set when the alert resolved. */
  readonly endsAt?: Date;
  /** A few request ids that show the problem (`X-Request-Id`), for finding them in the logs. */
  readonly sampleRequestIds: readonly string[];
  /** The measured value that crossed the threshold, in the rule's unit. */
  readonly value?: number;
}

/** One message to one sink: a group of alerts that share `groupKey`, firing or resolved. */
export interface AlertNotification {
  /** Unique per notification and stable across retries: the Standard Webhooks `webhook-id`, an idempotency key. */
  readonly id: string;
  /** Stable for the life of the group (firing through resolved): PagerDuty's `dedup_key` is derived from it. */
  readonly groupKey: string;
  /** `resolved` only when every alert of the group has resolved. */
  readonly status: 'firing' | 'resolved';
  /** The labels the group was formed by (e.g. `{ rule: 'route_error_ratio', upstream: 'core' }`). */
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertInstance[];
  /** The highest severity among `alerts`. */
  readonly severity: AlertSeverity;
  /** The node id that sent it. */
  readonly node: string;
  /** When this notification was first queued (not the time of a retry). */
  readonly createdAt: Date;
}

/**
 * A receiver of notifications (Slack, Microsoft Teams, PagerDuty, a signed webhook, e-mail). A sink
 * holds no state the engine needs: retries, backoff and the persisted queue belong to the engine.
 */
export interface AlertSink {
  /** The sink's name in the config (`alerts.sinks.<name>`). */
  readonly name: string;
  /** The sink's kind, as written in the config's `type`. */
  readonly type: string;
  /**
   * Delivers one notification. Resolves when the receiver accepted it (2xx, SMTP 250).
   * @throws AlertDeliveryError when it did not; `retryable` says whether trying again can help.
   */
  send(notification: AlertNotification, signal: AbortSignal): Promise<void>;
  /** Releases connections (SMTP pools); optional. */
  close?(): Promise<void>;
}

/** A failed delivery. The message never contains a secret (a webhook URL with a token, a signing key). */
export class AlertDeliveryError extends Error {
  constructor(
    message: string,
    /** False for a receiver's permanent refusal (400, 401, 403, 404, 410), true for 408/429/5xx/network. */
    readonly retryable: boolean,
    /** From the receiver's `Retry-After`, in seconds, when it gave one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AlertDeliveryError';
  }
}
