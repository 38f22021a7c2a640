/**
 * Sample alert notifications for the sink tests and the payload samples of docs/alerts.md: a
 * firing group of two route_error_ratio alerts, and the same group resolved.
 */
import type { AlertNotification } from '../../src/alerts/notification.js';

const startsAt = new Date('2026-11-30T12:00:00Z');

export const firingNotification: AlertNotification = {
  id: 'ntf_01JDX8Q5Z3Y1V2W3X4Y5Z6A7B8',
  groupKey: '{}:{rule="route_error_ratio",upstream="core"}',
  status: 'firing',
  groupLabels: { rule: 'route_error_ratio', upstream: 'core' },
  severity: 'critical',
  node: 'gw-1',
  createdAt: new Date('2026-11-30T12:05:00Z'),
  alerts: [
    {
      rule: 'route_error_ratio',
      labels: { route: 'payments', upstream: 'core' },
      severity: 'critical',
      summary: '5xx ratio 23 % on route payments (threshold 5 %)',
      description: 'Route payments to upstream core answered 5xx to 23 % of requests over the last 5 minutes (fast burn; threshold 5 %).',
      runbookUrl: 'https://portcullis.example/docs/alerts.md#route_error_ratio',
      startsAt,
      sampleRequestIds: ['req_8f2a', 'req_91c3'],
      value: 0.23,
    },
    {
      rule: 'route_error_ratio',
      labels: { route: 'refunds', upstream: 'core' },
      severity: 'warning',
      summary: '5xx ratio 7 % on route refunds (threshold 5 %)',
      description: 'Route refunds to upstream core answered 5xx to 7 % of requests over the last hour (slow burn; threshold 5 %).',
      runbookUrl: 'https://portcullis.example/docs/alerts.md#route_error_ratio',
      startsAt: new Date('2026-11-30T12:01:30Z'),
      sampleRequestIds: ['req_a001'],
      value: 0.07,
    },
  ],
};

export const resolvedNotification: AlertNotification = {
  ...firingNotification,
  id: 'ntf_01JDXB7K0M2N3P4Q5R6S7T8V9W',
  status: 'resolved',
  createdAt: new Date('2026-11-30T12:40:00Z'),
  alerts: firingNotification.alerts.map((alert) => ({ ...alert, endsAt: new Date('2026-11-30T12:38:00Z') })),
};

/** A notification whose values carry markup and mrkdwn control characters, for the escaping tests. */
export const hostileNotification: AlertNotification = {
  ...firingNotification,
  id: 'ntf_hostile',
  alerts: [{ ...firingNotification.alerts[0]!, summary: '<script>alert(1)</script> & <!channel>', labels: { route: '<b>r</b>' } }],
};
