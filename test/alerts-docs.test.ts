/**
 * Keeps docs/alerts.md in step with the code, like docs-sync does for options and error codes:
 * every built-in rule has its section with its severity, `for` and every threshold's default; and
 * every failure (`*_failed`) or fallback event of the log-event catalogue is alerted on by a rule,
 * or the table says why not (issue 21: no silent failure), both ways.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALERT_RULES } from '../src/core/alert-rules.js';
import { LOG_EVENTS, type LogEvent } from '../src/core/log-events.js';
import { EVENT_RULES, EVENTS_NOT_ALERTED, mustBeCovered } from '../src/alerts/event-map.js';
import { WATCHED_EVENTS } from '../src/alerts/event-window.js';

const docs = readFileSync(new URL('../../docs/alerts.md', import.meta.url), 'utf8');

/** The text of `### <rule>` up to the next heading. */
function section(rule: string): string | undefined {
  const match = docs.match(new RegExp(`^### ${rule}\\n([\\s\\S]*?)(?=^#{2,3} )`, 'm'));
  return match?.[1];
}

test('docs/alerts.md documents every built-in rule with its severity, for and thresholds', () => {
  for (const [rule, spec] of Object.entries(ALERT_RULES)) {
    const text = section(rule);
    assert.ok(text, `docs/alerts.md has no section "### ${rule}"`);
    assert.ok(text.includes(`severity: \`${spec.severity}\``), `${rule}: severity ${spec.severity}`);
    assert.ok(text.includes(`for: ${spec.forSeconds} s`), `${rule}: for ${spec.forSeconds} s`);
    for (const [name, value] of Object.entries(spec.thresholds)) assert.ok(text.includes(`\`${name}: ${value}\``), `${rule}: threshold ${name}: ${value}`);
  }
  const documented = [...docs.matchAll(/^### ([a-z0-9_]+)$/gm)].map((match) => match[1]!).filter((name) => !['webhook'].includes(name));
  assert.deepEqual(documented.sort(), Object.keys(ALERT_RULES).sort(), 'rule sections vs ALERT_RULES');
});

test('every failure or fallback event maps to a rule or says why not, in the code and in docs/alerts.md alike', () => {
  const covered = new Set([...Object.keys(EVENT_RULES), ...Object.keys(EVENTS_NOT_ALERTED)]);
  const mustCover = (Object.entries(LOG_EVENTS) as Array<[LogEvent, { meaning: string }]>).filter(([event, spec]) => mustBeCovered(event, spec.meaning)).map(([event]) => event);
  assert.deepEqual(mustCover.filter((event) => !covered.has(event)), [], 'failure/fallback events neither alerted on nor explained in src/alerts/event-map.ts');
  // Losses, outages and staleness are covered by name too, not only *_failed (issue 21 "done when").
  for (const event of ['log.lines_dropped', 'store.listen_lost', 'dependency.unavailable', 'admin.sso_unavailable', 'jwks.serving_stale', 'crl.stale', 'certificate.expired']) assert.ok(mustCover.includes(event as LogEvent), `${event} must be covered`);
  assert.ok(!mustCover.includes('config.reloaded' as LogEvent), 'an ordinary event is not');
  for (const event of covered) assert.ok(event in LOG_EVENTS, `${event} is not a catalogued event`);
  for (const event of Object.keys(EVENT_RULES)) assert.ok(!(event in EVENTS_NOT_ALERTED), `${event} is both mapped and explained`);
  for (const [event, rule] of Object.entries(EVENT_RULES)) assert.ok(rule in ALERT_RULES, `${event} maps to unknown rule ${rule}`);
  const rows = new Map([...docs.matchAll(/^\| `([a-z_.]+)` \| (.+) \|$/gm)].filter((match) => match[1]!.includes('.')).map((match) => [match[1]!, match[2]!]));
  assert.deepEqual([...rows.keys()].sort(), [...covered].sort(), 'rows of the events table in docs/alerts.md vs src/alerts/event-map.ts');
  for (const [event, rule] of Object.entries(EVENT_RULES)) assert.equal(rows.get(event), `[\`${rule}\`](#${rule})`, event);
  for (const [event, why] of Object.entries(EVENTS_NOT_ALERTED)) assert.equal(rows.get(event), `none: ${why}`, event);
});

test('a rule said to alert on an event reads that event, or the gauge the same failure sets', () => {
  // These failures also set portcullis_dependency_up (store, redis, issuer:<url>), which the rule reads.
  // jwks.serving_stale/keys_expired follow the failed fetch that sets it; certificate.expired: portcullis_certificate_expiry_seconds.
  const gaugeBacked = new Set(['admin.store_failed', 'ratelimit.store_unavailable', 'jwks.fetch_failed', 'alerts.notification_failed', 'jwks.serving_stale', 'jwks.keys_expired', 'certificate.expired']);
  for (const event of Object.keys(EVENT_RULES)) {
    if (gaugeBacked.has(event)) continue;
    assert.ok(event in WATCHED_EVENTS, `${event} is mapped to ${EVENT_RULES[event as LogEvent]} but the engine does not count it`);
  }
});
