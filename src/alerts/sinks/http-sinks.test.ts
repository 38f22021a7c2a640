/**
 * The Slack, Microsoft Teams and PagerDuty sinks against a local HTTP receiver that decodes each
 * request's JSON and checks the fields the receivers document; the mapping of answers to
 * AlertDeliveryError; that no secret (a webhook URL's token, a routing key) reaches an error; and
 * that every connection passes the gateway's egress guard.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { SecretValue } from '../../core/secret-value.js';
import { Outbound, OutboundRefusedError } from '../../outbound/index.js';
import { firingNotification, hostileNotification, resolvedNotification } from '../../../test/helpers/alert-notifications.js';
import { AlertDeliveryError, type AlertSink } from '../notification.js';
import { parseRetryAfter } from './http-delivery.js';
import { createPagerDutySink, pagerDutyDedupKey } from './pagerduty.js';
import { createSlackSink } from './slack.js';
import { createTeamsSink } from './teams.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  json: any;
}

/** A receiver that records each POST and answers with the status (and headers) it is told to. */
async function receiver() {
  const requests: Received[] = [];
  let answer: { status: number; headers?: Record<string, string> } = { status: 200 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method!, path: request.url!, headers: request.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.status < 300 ? 'ok' : 'invalid_token');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    answer(status: number, headers?: Record<string, string>) {
      answer = headers === undefined ? { status } : { status, headers };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SLACK_TOKEN = 'slkSECRETtoken0123456789';
const TEAMS_SIG = 'teamsSECRETsig0123456789';
const ROUTING_KEY = 'R0UTINGKEYSECRET0123456789abcdef';
const SECRETS = [SLACK_TOKEN, TEAMS_SIG, ROUTING_KEY];

/** Fails when any secret appears anywhere in the error as it would be logged. */
function assertNoSecret(error: unknown): void {
  const shown = [String(error), (error as Error).message, inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
  for (const secret of SECRETS) assert.ok(!shown.includes(secret), `the error shows a secret: ${shown}`);
}

async function failure(sink: AlertSink, signal: AbortSignal = new AbortController().signal): Promise<AlertDeliveryError> {
  const error = await sink.send(firingNotification, signal).then(
    () => assert.fail('expected the send to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AlertDeliveryError, `an AlertDeliveryError, got ${String(error)}`);
  assertNoSecret(error);
  return error;
}

describe('HTTP alert sinks', () => {
  let server: Awaited<ReturnType<typeof receiver>>;
  const outbound = new Outbound();
  const clock = new ManualClock(Date.parse('2026-11-30T12:10:00Z'));
  const signal = new AbortController().signal;
  let slack: AlertSink;
  let teams: AlertSink;
  let pagerduty: AlertSink;

  before(async () => {
    server = await receiver();
    slack = createSlackSink({ name: 'ops-slack', url: new SecretValue(`${server.base}/services/T000/B000/${SLACK_TOKEN}`, '${secret:slack}'), outbound, clock, timeoutMs: 5000 });
    teams = createTeamsSink({ name: 'ops-teams', url: new SecretValue(`${server.base}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${TEAMS_SIG}`, '${secret:teams}'), outbound, clock, timeoutMs: 5000 });
    pagerduty = createPagerDutySink({ name: 'oncall', routingKey: new SecretValue(ROUTING_KEY, '${env:PD_KEY}'), url: `${server.base}/v2/enqueue`, outbound, clock, timeoutMs: 5000 });
  });
  after(async () => {
    await server.close();
    await outbound.close();
  });

  test('Slack gets a Block Kit message with title, severity, what, where, since, sample request ids, runbook and a text fallback', async () => {
    server.answer(200);
    await slack.send(firingNotification, signal);
    const request = server.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/services/T000/B000/${SLACK_TOKEN}`);
    assert.equal(request.headers['content-type'], 'application/json');
    const message = request.json;
    assert.equal(message.text, '[FIRING] route_error_ratio: 2 alerts (upstream=core) (critical; upstream=core; runbook https://portcullis.example/docs/alerts.md#route_error_ratio)');
    assert.deepEqual(message.blocks[0], { type: 'header', text: { type: 'plain_text', text: '[FIRING] route_error_ratio: 2 alerts (upstream=core)', emoji: false } });
    assert.deepEqual(
      message.blocks[1].fields.map((field: { text: string }) => field.text),
      ['*Severity*\ncritical', '*Status*\nfiring', '*What*\nroute_error_ratio', '*Where*\nupstream=core', `*Since*\n<!date^${Date.parse('2026-11-30T12:00:00Z') / 1000}^{date_short_pretty} {time}|2026-11-30T12:00:00.000Z>`, '*Node*\ngw-1'],
    );
    assert.equal(message.blocks[2].type, 'section');
    assert.match(message.blocks[2].text.text, /^\*5xx ratio 23 % on route payments \(threshold 5 %\)\*\n/);
    assert.match(message.blocks[3].text.text, /_route=refunds, upstream=core_$/);
    assert.deepEqual(message.blocks[4], { type: 'context', elements: [{ type: 'mrkdwn', text: 'Sample request ids: `req_8f2a`, `req_91c3`, `req_a001`' }] });
    assert.deepEqual(message.blocks[5], { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Runbook' }, url: 'https://portcullis.example/docs/alerts.md#route_error_ratio' }] });
    assert.equal(message.blocks.length, 6);
  });

  test('Slack mrkdwn control characters in alert text are escaped, so a label cannot mention @channel or forge a link', async () => {
    server.answer(200);
    await slack.send(hostileNotification, signal);
    const message = server.requests.at(-1)!.json;
    // Every text Slack reads as mrkdwn (the fallback, and each mrkdwn object); plain_text (the header) is never interpreted.
    const mrkdwnTexts: string[] = [message.text];
    JSON.stringify(message, (_key, value: unknown) => {
      const object = value as { type?: string; text?: string } | null;
      if (object && object.type === 'mrkdwn' && typeof object.text === 'string') mrkdwnTexts.push(object.text);
      return value;
    });
    const all = mrkdwnTexts.join('\n');
    assert.ok(all.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;'));
    assert.ok(all.includes('route=&lt;b&gt;r&lt;/b&gt;'));
    assert.ok(!all.includes('<!channel>'));
    assert.ok(!all.includes('<script>'));
  });

  test('Teams gets the Workflows envelope with an Adaptive Card 1.4: title, facts, one container per alert, runbook action', async () => {
    server.answer(202);
    await teams.send(firingNotification, signal);
    const request = server.requests.at(-1)!;
    assert.ok(request.path.startsWith('/workflows/abc/triggers/manual/paths/invoke?'));
    assert.equal(new URL(request.path, server.base).searchParams.get('sig'), TEAMS_SIG);
    const message = request.json;
    assert.equal(message.type, 'message');
    assert.equal(message.attachments.length, 1);
    assert.equal(message.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    const card = message.attachments[0].content;
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    assert.equal(card['@type'], undefined, 'not the retired MessageCard');
    assert.deepEqual(card.body[0], { type: 'TextBlock', text: '[FIRING] route_error_ratio: 2 alerts (upstream=core)', wrap: true, size: 'Large', weight: 'Bolder', style: 'heading', color: 'Attention' });
    assert.deepEqual(card.body[1], {
      type: 'FactSet',
      facts: [
        { title: 'Severity', value: 'critical' },
        { title: 'Status', value: 'firing' },
        { title: 'What', value: 'route_error_ratio' },
        { title: 'Where', value: 'upstream=core' },
        { title: 'Since', value: '2026-11-30T12:00:00Z' },
        { title: 'Node', value: 'gw-1' },
      ],
    });
    assert.equal(card.body[2].type, 'Container');
    assert.equal(card.body[2].items[0].text, '5xx ratio 23 % on route payments (threshold 5 %)');
    assert.equal(card.body[4].text, 'Sample request ids: req_8f2a, req_91c3, req_a001');
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Runbook', url: 'https://portcullis.example/docs/alerts.md#route_error_ratio' }]);
  });

  test('PagerDuty gets a trigger, then a resolve, with the same dedup_key derived from the groupKey', async () => {
    server.answer(202);
    await pagerduty.send(firingNotification, signal);
    await pagerduty.send(resolvedNotification, signal);
    const [trigger, resolve] = server.requests.slice(-2).map((request) => request.json);
    assert.equal(server.requests.at(-1)!.path, '/v2/enqueue');
    const dedupKey = pagerDutyDedupKey(firingNotification.groupKey);
    assert.match(dedupKey, /^portcullis-[0-9a-f]{32}$/);
    assert.equal(pagerDutyDedupKey(firingNotification.groupKey), dedupKey, 'stable');
    assert.notEqual(pagerDutyDedupKey('{}:{rule="upstream_down"}'), dedupKey);
    assert.equal(trigger.routing_key, ROUTING_KEY);
    assert.equal(trigger.event_action, 'trigger');
    assert.equal(trigger.dedup_key, dedupKey);
    assert.equal(trigger.payload.summary, '[FIRING] route_error_ratio: 2 alerts (upstream=core)');
    assert.equal(trigger.payload.severity, 'critical');
    assert.equal(trigger.payload.source, 'gw-1');
    assert.equal(trigger.payload.timestamp, '2026-11-30T12:00:00.000Z');
    assert.equal(trigger.payload.component, 'core');
    assert.equal(trigger.payload.class, 'route_error_ratio');
    assert.deepEqual(trigger.payload.custom_details.sample_request_ids, ['req_8f2a', 'req_91c3', 'req_a001']);
    assert.deepEqual(trigger.payload.custom_details.alerts.map((alert: { labels: unknown; value: number }) => [alert.labels, alert.value]), [
      [{ route: 'payments', upstream: 'core' }, 0.23],
      [{ route: 'refunds', upstream: 'core' }, 0.07],
    ]);
    assert.deepEqual(trigger.links, [{ href: 'https://portcullis.example/docs/alerts.md#route_error_ratio', text: 'Runbook' }]);
    assert.deepEqual(resolve, { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedupKey, client: 'Portcullis' });
  });

  test('PagerDuty severities map one to one: warning and info', async () => {
    server.answer(202);
    for (const severity of ['warning', 'info'] as const) {
      await pagerduty.send({ ...firingNotification, severity }, signal);
      assert.equal(server.requests.at(-1)!.json.payload.severity, severity);
    }
  });

  for (const status of [400, 401, 403, 404, 410]) {
    test(`a ${status} answer is a permanent failure whose message names the sink and status but no secret`, async () => {
      server.answer(status);
      for (const [sink, type] of [[slack, 'slack'], [teams, 'teams'], [pagerduty, 'pagerduty']] as const) {
        const error = await failure(sink);
        assert.equal(error.retryable, false);
        assert.equal(error.retryAfterSeconds, undefined);
        assert.equal(error.message, `${type} sink "${sink.name}": the receiver answered ${status}`);
      }
    });
  }

  test('408, 429 and 5xx are retryable; Retry-After is read as seconds or as an HTTP-date against the clock', async () => {
    const cases: Array<[number, Record<string, string> | undefined, number | undefined]> = [
      [408, undefined, undefined],
      [429, { 'retry-after': '30' }, 30],
      [500, undefined, undefined],
      [502, { 'retry-after': 'nonsense' }, undefined],
      [503, { 'retry-after': 'Mon, 30 Nov 2026 12:12:00 GMT' }, 120],
    ];
    for (const [status, headers, retryAfter] of cases) {
      server.answer(status, headers);
      for (const sink of [slack, teams, pagerduty]) {
        const error = await failure(sink);
        assert.equal(error.retryable, true, `${status} is retryable`);
        assert.equal(error.retryAfterSeconds, retryAfter, `${status} Retry-After`);
      }
    }
  });

  test('parseRetryAfter: delay-seconds, HTTP-date, past dates are 0, garbage is undefined, capped at a day', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 17 ', now), 17);
    assert.equal(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('Mon, 30 Nov 2026 12:00:01 GMT', now), 1);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter('1.5', now), undefined);
    assert.equal(parseRetryAfter('2026-11-30', now), undefined);
    assert.equal(parseRetryAfter('99999999', now), 86400);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  test('a receiver that is not listening is a retryable failure naming the error code only', async () => {
    const closed = await receiver();
    await closed.close();
    const sink = createSlackSink({ name: 'gone', url: new SecretValue(`${closed.base}/services/T000/B000/${SLACK_TOKEN}`, '${secret:slack}'), outbound, clock });
    const error = await failure(sink);
    assert.equal(error.retryable, true);
    assert.equal(error.message, 'slack sink "gone": no answer from the receiver (ECONNREFUSED)');
  });

  test('a receiver that never answers is a retryable failure after timeoutMs', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/services/T000/B000/${SLACK_TOKEN}`;
      const error = await failure(createSlackSink({ name: 'slow', url: new SecretValue(url, '${secret:slack}'), outbound, clock, timeoutMs: 200 }));
      assert.equal(error.retryable, true);
      assert.match(error.message, /^slack sink "slow": no answer from the receiver \((UND_ERR_HEADERS_TIMEOUT|TimeoutError)\)$/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('an aborted send (the engine gave up) is a retryable failure', async () => {
    server.answer(200);
    const error = await failure(pagerduty, AbortSignal.abort());
    assert.equal(error.retryable, true);
  });

  test('every connection passes the egress guard: a refusing hook fails the send, permanently, without the URL', async () => {
    const refusing = new Outbound({
      hook: (connection) => {
        throw new OutboundRefusedError(connection, 'refused by the test');
      },
    });
    try {
      for (const sink of [
        createSlackSink({ name: 's', url: new SecretValue(`${server.base}/services/T000/B000/${SLACK_TOKEN}`, '${secret:slack}'), outbound: refusing }),
        createTeamsSink({ name: 't', url: new SecretValue(`${server.base}/x?sig=${TEAMS_SIG}`, '${secret:teams}'), outbound: refusing }),
        createPagerDutySink({ name: 'p', routingKey: new SecretValue(ROUTING_KEY, 'k'), url: `${server.base}/v2/enqueue`, outbound: refusing }),
      ]) {
        const error = await failure(sink);
        assert.equal(error.retryable, false);
        assert.match(error.message, /refused by the egress rules/);
      }
    } finally {
      await refusing.close();
    }
  });

  test('with egress enforced, a sink declares its origin (never its path) and gets through, while an undeclared origin is refused', async () => {
    const guarded = new Outbound();
    guarded.egress.setPolicy({ mode: 'enforce', destinations: [] });
    try {
      server.answer(200);
      const sink = createSlackSink({ name: 'ops', url: new SecretValue(`${server.base}/services/T000/B000/${SLACK_TOKEN}`, '${secret:slack}'), outbound: guarded });
      await sink.send(firingNotification, signal);
      assert.equal(server.requests.at(-1)!.path, `/services/T000/B000/${SLACK_TOKEN}`);
      assert.ok(!inspect(guarded.egress, { depth: 10 }).includes(SLACK_TOKEN), 'the declaration holds no token');
      // Enforcement is on: an origin nobody declared is refused on the same agent.
      const other = await receiver();
      try {
        await assert.rejects(guarded.agent('alert-sink').request({ origin: other.base, path: '/', method: 'POST', body: '{}' }), (error: Error) => error.name === 'EgressDeniedError');
        assert.equal(other.requests.length, 0);
      } finally {
        await other.close();
      }
    } finally {
      await guarded.close();
    }
  });

  test('a webhook URL that would send its token in the clear is refused when the sink is made, and again at send', async () => {
    assert.throws(() => createSlackSink({ name: 'plain', url: new SecretValue(`http://hooks.example.com/services/${SLACK_TOKEN}`, 'r'), outbound }), (error: Error) => {
      assert.equal(error.message, 'slack sink "plain": the url must be https (http only to a loopback address)');
      return true;
    });
    assert.throws(() => createTeamsSink({ name: 'creds', url: new SecretValue(`https://user:${TEAMS_SIG}@example.com/`, 'r'), outbound }), /must not hold user credentials/);
    assert.throws(() => createPagerDutySink({ name: 'pd', routingKey: new SecretValue(ROUTING_KEY, 'r'), url: 'http://events.example.com/v2/enqueue', outbound }), /must be https/);
    // A vault value that changes to a plain-http URL after start.
    let value = `${server.base}/services/${SLACK_TOKEN}`;
    const rotating = createSlackSink({ name: 'rot', url: new SecretValue(() => value, '${secret:slack}'), outbound });
    value = `http://hooks.example.com/services/${SLACK_TOKEN}`;
    const error = await failure(rotating);
    assert.equal(error.retryable, false);
    // An unreadable secret (a vault reference whose secret is gone) is retryable and names no value.
    const unreadable = createSlackSink({ name: 'unbound', url: new SecretValue(() => { throw new Error('${secret:slack} is not bound to a vault'); }, '${secret:slack}'), outbound });
    const unbound = await failure(unreadable);
    assert.equal(unbound.retryable, true);
    assert.equal(unbound.message, 'slack sink "unbound": its url cannot be read (see the vault or the environment variable it names)');
  });
});
