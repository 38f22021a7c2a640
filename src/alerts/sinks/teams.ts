/**
 * The Microsoft Teams sink: one Adaptive Card (https://adaptivecards.io, schema 1.4, the version
 * Teams renders everywhere) per notification, POSTed to a Teams Workflows webhook: the Power
 * Automate flow "Post to a channel when a webhook request is received". That trigger expects
 * the bot-message envelope `{ type: "message", attachments: [{ contentType:
 * "application/vnd.microsoft.card.adaptive", content: <card> }] }` and posts each attachment's
 * card. The Office 365 connector webhooks and their MessageCard format are retired; they are not
 * supported.
 *
 * The Workflows URL carries its credential in the query (`sig=`): it is taken by reference only
 * and never appears in an error (http-delivery.ts). A Workflows trigger answers 202 Accepted.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Outbound } from '../../outbound/index.js';
import type { AlertNotification, AlertSeverity, AlertSink } from '../notification.js';
import { checkUrlAtStart, postJson, revealFor, type SecretSource } from './http-delivery.js';
import { clip, labelText, listedAlerts, resolvedAtOf, ruleOf, runbookOf, sampleRequestIdsOf, sinceOf, titleOf, withoutRule } from './render.js';

export interface TeamsSinkOptions {
  readonly name: string;
  /** The Workflows trigger URL (a SecretValue), read at each send. */
  readonly url: SecretSource;
  readonly outbound: Outbound;
  /** Time for one POST to be answered, ms (default 10000). */
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

/** The envelope the Workflows trigger reads. */
export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: ReadonlyArray<{ readonly contentType: 'application/vnd.microsoft.card.adaptive'; readonly contentUrl: null; readonly content: Record<string, unknown> }>;
}

/** The card's title colour: an Adaptive Card TextBlock `color`. */
const COLOR: Record<AlertSeverity, string> = { critical: 'Attention', warning: 'Warning', info: 'Accent' };

const textBlock = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });
const utc = (date: Date) => `${date.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

/** The message for `notification` (pure: the documented sample in docs/alerts.md is this function's output). */
export function teamsMessage(notification: AlertNotification): TeamsMessage {
  const resolvedAt = resolvedAtOf(notification);
  const facts = [
    { title: 'Severity', value: notification.severity },
    { title: 'Status', value: notification.status },
    { title: 'What', value: ruleOf(notification) },
    { title: 'Where', value: labelText(withoutRule(notification.groupLabels)) || '—' },
    { title: 'Since', value: utc(sinceOf(notification)) },
    ...(resolvedAt ? [{ title: 'Resolved', value: utc(resolvedAt) }] : []),
    { title: 'Node', value: notification.node },
  ];
  const body: Array<Record<string, unknown>> = [
    textBlock(clip(titleOf(notification), 300), { size: 'Large', weight: 'Bolder', style: 'heading', color: notification.status === 'resolved' ? 'Good' : COLOR[notification.severity] }),
    { type: 'FactSet', facts },
  ];
  const { listed, more } = listedAlerts(notification);
  for (const alert of listed) {
    body.push({
      type: 'Container',
      separator: true,
      items: [textBlock(alert.summary, { weight: 'Bolder' }), textBlock(clip(alert.description, 2000)), textBlock(labelText(alert.labels), { isSubtle: true, size: 'Small' })],
    });
  }
  if (more > 0) body.push(textBlock(`and ${more} more alerts`, { isSubtle: true }));
  const ids = sampleRequestIdsOf(notification);
  if (ids.length > 0) body.push(textBlock(`Sample request ids: ${ids.join(', ')}`, { isSubtle: true, size: 'Small', fontType: 'Monospace' }));
  const runbook = runbookOf(notification);
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(runbook !== undefined && /^https?:\/\//.test(runbook) ? { actions: [{ type: 'Action.OpenUrl', title: 'Runbook', url: runbook }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/** Makes a Teams sink. Throws (no secret in the message) when the URL is not https (http to loopback only) or holds user credentials. */
export function createTeamsSink(options: TeamsSinkOptions): AlertSink {
  const label = `teams sink "${options.name}"`;
  checkUrlAtStart(label, options.url);
  const target = { label, egressSource: `alerts.sinks.${options.name}`, outbound: options.outbound, timeoutMs: options.timeoutMs ?? 10000, clock: options.clock ?? systemClock };
  return {
    name: options.name,
    type: 'teams',
    async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
      await postJson(target, revealFor(label, 'url', options.url), JSON.stringify(teamsMessage(notification)), signal);
    },
  };
}
