/**
 * The Slack sink: one message per notification to a Slack incoming webhook
 * (https://api.slack.com/messaging/webhooks), laid out with Block Kit
 * (https://api.slack.com/reference/block-kit/blocks): a header with the title, the severity,
 * status, what (the rule), where (the labels), since when and the node as fields, one section per
 * alert, the sample request ids, and a Runbook button. `text` is the fallback Slack shows in
 * notifications and where blocks cannot be drawn.
 *
 * The webhook URL holds the token (`/services/T…/B…/<secret>`): it is taken by reference only
 * and never appears in an error (http-delivery.ts).
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Outbound } from '../../outbound/index.js';
import type { AlertNotification, AlertSink } from '../notification.js';
import { checkUrlAtStart, postJson, revealFor, type SecretSource } from './http-delivery.js';
import { clip, labelText, listedAlerts, resolvedAtOf, ruleOf, runbookOf, sampleRequestIdsOf, sinceOf, titleOf, withoutRule } from './render.js';

export interface SlackSinkOptions {
  /** The sink's name in the config. */
  readonly name: string;
  /** The incoming webhook URL (a SecretValue), read at each send. */
  readonly url: SecretSource;
  readonly outbound: Outbound;
  /** Time for one POST to be answered, ms (default 10000). */
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

/** A Block Kit text object of type mrkdwn. */
interface Mrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}

/** The JSON body Slack receives (the fields this sink sets). */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: ReadonlyArray<Record<string, unknown>>;
}

/** Slack's mrkdwn control characters, escaped as its docs ask ("Escaping text"): &, <, >. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const mrkdwn = (text: string): Mrkdwn => ({ type: 'mrkdwn', text: clip(text, 2000) });

/** Slack's date token: shown in the reader's time zone, with the RFC 3339 text as fallback. */
function slackDate(date: Date): string {
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${date.toISOString()}>`;
}

/** The message for `notification` (pure: the documented sample in docs/alerts.md is this function's output). */
export function slackMessage(notification: AlertNotification): SlackMessage {
  const title = titleOf(notification);
  const where = labelText(withoutRule(notification.groupLabels)) || '—';
  const resolvedAt = resolvedAtOf(notification);
  const fields: Mrkdwn[] = [
    mrkdwn(`*Severity*\n${notification.severity}`),
    mrkdwn(`*Status*\n${notification.status}`),
    mrkdwn(`*What*\n${escapeMrkdwn(ruleOf(notification))}`),
    mrkdwn(`*Where*\n${escapeMrkdwn(where)}`),
    mrkdwn(`*Since*\n${slackDate(sinceOf(notification))}`),
    mrkdwn(notification.status === 'resolved' && resolvedAt ? `*Resolved*\n${slackDate(resolvedAt)}` : `*Node*\n${escapeMrkdwn(notification.node)}`),
  ];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: false } },
    { type: 'section', fields },
  ];
  const { listed, more } = listedAlerts(notification);
  for (const alert of listed) {
    const text = `*${escapeMrkdwn(alert.summary)}*\n${escapeMrkdwn(alert.description)}\n_${escapeMrkdwn(labelText(alert.labels))}_`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } });
  }
  if (more > 0) blocks.push({ type: 'context', elements: [mrkdwn(`and ${more} more alerts`)] });
  const ids = sampleRequestIdsOf(notification);
  if (ids.length > 0) blocks.push({ type: 'context', elements: [mrkdwn(`Sample request ids: ${ids.map((id) => `\`${escapeMrkdwn(id)}\``).join(', ')}`)] });
  const runbook = runbookOf(notification);
  if (runbook !== undefined && /^https?:\/\//.test(runbook)) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Runbook' }, url: clip(runbook, 3000) }] });
  }
  const text = escapeMrkdwn(`${title} (${notification.severity}; ${where}${runbook ? `; runbook ${runbook}` : ''})`);
  return { text: clip(text, 3000), blocks };
}

/** Makes a Slack sink. Throws (no secret in the message) when the URL is not https (http to loopback only) or holds user credentials. */
export function createSlackSink(options: SlackSinkOptions): AlertSink {
  const label = `slack sink "${options.name}"`;
  checkUrlAtStart(label, options.url);
  const target = { label, egressSource: `alerts.sinks.${options.name}`, outbound: options.outbound, timeoutMs: options.timeoutMs ?? 10000, clock: options.clock ?? systemClock };
  return {
    name: options.name,
    type: 'slack',
    async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
      await postJson(target, revealFor(label, 'url', options.url), JSON.stringify(slackMessage(notification)), signal);
    },
  };
}
