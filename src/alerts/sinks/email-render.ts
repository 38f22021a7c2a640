/**
 * The e-mail of one notification: a subject line, a plain-text body and the same content as HTML
 * (every value HTML-escaped: a label or a summary is never markup).
 */
import type { AlertNotification } from '../notification.js';
import { clip, labelText, listedAlerts, resolvedAtOf, ruleOf, runbookOf, sampleRequestIdsOf, sinceOf, titleOf, withoutRule } from './render.js';

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Escapes the five characters that are markup in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The facts shown at the top of both bodies, in order. */
function factsOf(notification: AlertNotification): Array<[string, string]> {
  const resolvedAt = resolvedAtOf(notification);
  return [
    ['Severity', notification.severity],
    ['Status', notification.status],
    ['What', ruleOf(notification)],
    ['Where', labelText(withoutRule(notification.groupLabels)) || '—'],
    ['Since', sinceOf(notification).toISOString()],
    ...(resolvedAt ? ([['Resolved', resolvedAt.toISOString()]] as Array<[string, string]>) : []),
    ['Node', notification.node],
  ];
}

/** Subject, text and HTML for `notification` (pure: the documented sample in docs/alerts.md is this function's output). */
export function renderEmail(notification: AlertNotification): RenderedEmail {
  // The subject starts with the severity, so mail filters can route on it; one line (RFC 5322 §2.2.3 folding is nodemailer's).
  const subject = clip(`[${notification.severity}] ${titleOf(notification)}`.replace(/[\r\n]+/g, ' '), 250);
  const facts = factsOf(notification);
  const { listed, more } = listedAlerts(notification);
  const ids = sampleRequestIdsOf(notification);
  const runbook = runbookOf(notification);

  const text = [
    titleOf(notification),
    '',
    ...facts.map(([name, value]) => `${name}: ${value}`),
    '',
    ...listed.flatMap((alert) => [`- ${alert.summary}`, `  ${alert.description}`, `  ${labelText(alert.labels)}`]),
    ...(more > 0 ? [`and ${more} more alerts`] : []),
    ...(ids.length > 0 ? ['', `Sample request ids: ${ids.join(', ')}`] : []),
    ...(runbook !== undefined ? [`Runbook: ${runbook}`] : []),
    '',
    `Notification ${notification.id}`,
  ].join('\n');

  const rows = facts.map(([name, value]) => `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('');
  const items = listed.map((alert) => `<li><strong>${escapeHtml(alert.summary)}</strong><br>${escapeHtml(alert.description)}<br><small>${escapeHtml(labelText(alert.labels))}</small></li>`).join('');
  const html = [
    '<!doctype html><html><body>',
    `<h2>${escapeHtml(titleOf(notification))}</h2>`,
    `<table>${rows}</table>`,
    `<ul>${items}</ul>`,
    more > 0 ? `<p>and ${more} more alerts</p>` : '',
    ids.length > 0 ? `<p>Sample request ids: ${ids.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')}</p>` : '',
    runbook !== undefined && /^https?:\/\//.test(runbook) ? `<p><a href="${escapeHtml(runbook)}">Runbook</a></p>` : '',
    `<p><small>Notification ${escapeHtml(notification.id)}</small></p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
