/**
 * Keeps the sample payloads of docs/alerts.md ("Sinks") equal to what the sinks send: each
 * `<!-- sample:NAME -->` marker is followed by a code block that must be the renderer's output for
 * the sample notifications of test/helpers/alert-notifications.ts. The renderers are the functions
 * the sinks call for their request bodies (http-sinks.test.ts and email.test.ts check that the
 * receivers get exactly these).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { firingNotification, resolvedNotification } from '../../../test/helpers/alert-notifications.js';
import { renderEmail } from './email-render.js';
import { pagerDutyEvent } from './pagerduty.js';
import { slackMessage } from './slack.js';
import { teamsMessage } from './teams.js';

const docs = readFileSync(new URL('../../../../docs/alerts.md', import.meta.url), 'utf8');

/** The code block after `<!-- sample:NAME -->`. */
function sample(name: string): string {
  const match = new RegExp(`<!-- sample:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(docs);
  assert.ok(match, `docs/alerts.md has a sample:${name} block`);
  return match[1]!;
}

const ROUTING_KEY = 'R0123456789abcdef0123456789abcdef';
const json = (value: unknown) => JSON.stringify(value, null, 2);

test('docs/alerts.md shows exactly what each sink sends', () => {
  const email = renderEmail(firingNotification);
  const expected: Record<string, string> = {
    slack: json(slackMessage(firingNotification)),
    teams: json(teamsMessage(firingNotification)),
    'pagerduty-trigger': json(pagerDutyEvent(firingNotification, ROUTING_KEY)),
    'pagerduty-resolve': json(pagerDutyEvent(resolvedNotification, ROUTING_KEY)),
    'email-subject': email.subject,
    'email-text': email.text,
    'email-html': email.html,
  };
  for (const [name, text] of Object.entries(expected)) assert.equal(sample(name), text, `docs/alerts.md sample:${name}`);
  const markers = [...docs.matchAll(/<!-- sample:([a-z-]+) -->/g)].map((match) => match[1]);
  assert.deepEqual(markers.sort(), Object.keys(expected).sort(), 'every sample in the docs is checked');
});
