/**
 * The Slack, Teams, PagerDuty and e-mail sinks as the config names them (`alerts.sinks.<name>`
 * with a `type`): the loader takes their keys and refuses a literal secret or a key of another
 * type; the sink factory builds each type, and a notification sent through a built sink reaches
 * a local receiver with the secret URL the config referenced.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { validateConfig } from '../../config/loader.js';
import type { GatewayConfig } from '../../config/schema.js';
import { systemClock } from '../../core/clock.js';
import { Outbound } from '../../outbound/index.js';
import { firingNotification } from '../../../test/helpers/alert-notifications.js';
import { createAlertSinks } from '../sink-factory.js';

const base = {
  listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
  upstreams: { backend: { targets: ['http://127.0.0.1:9'] } },
  routes: [{ name: 'all', methods: ['GET'], path: '/*', upstream: 'backend' }],
};

let receiver: { url: string; bodies: Array<{ path: string; json: any }>; close(): Promise<void> };
const outbound = new Outbound();

before(async () => {
  const bodies: Array<{ path: string; json: any }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push({ path: request.url!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
});
after(async () => {
  await receiver.close();
  await outbound.close();
});

function load(sinks: Record<string, unknown>, env: Record<string, string> = {}) {
  return validateConfig({ ...base, alerts: { sinks } }, env);
}

test('the four sink types load from the config and the factory builds each; a notification reaches the referenced URL', async () => {
  const env = { SLACK_URL: `${receiver.url}/services/T0/B0/slackTOKEN`, TEAMS_URL: `${receiver.url}/workflows/w/invoke?sig=teamsSIG`, PD_KEY: 'R0123456789abcdef0123456789abcdef', SMTP_PASSWORD: 'pw' };
  const loaded = load(
    {
      'ops-slack': { type: 'slack', webhookUrl: '${env:SLACK_URL}', timeoutMs: 5000 },
      'ops-teams': { type: 'teams', webhookUrl: '${env:TEAMS_URL}' },
      oncall: { type: 'pagerduty', routingKey: '${env:PD_KEY}', url: `${receiver.url}/v2/enqueue` },
      mail: { type: 'email', host: 'smtp.example.com', security: 'starttls', username: 'alerts', password: '${env:SMTP_PASSWORD}', from: 'alerts@example.com', to: ['oncall@example.com'] },
    },
    env,
  );
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  const config = loaded.config as GatewayConfig;
  const sinks = await createAlertSinks(config.alerts.sinks, { outbound, clock: systemClock });
  assert.deepEqual([...sinks.entries()].map(([name, sink]) => [name, sink.type]), [['ops-slack', 'slack'], ['ops-teams', 'teams'], ['oncall', 'pagerduty'], ['mail', 'email']]);
  const signal = new AbortController().signal;
  await sinks.get('ops-slack')!.send(firingNotification, signal);
  await sinks.get('ops-teams')!.send(firingNotification, signal);
  await sinks.get('oncall')!.send(firingNotification, signal);
  assert.deepEqual(receiver.bodies.map((body) => body.path), ['/services/T0/B0/slackTOKEN', '/workflows/w/invoke?sig=teamsSIG', '/v2/enqueue']);
  assert.equal(receiver.bodies[0]!.json.blocks[0].type, 'header');
  assert.equal(receiver.bodies[1]!.json.attachments[0].content.type, 'AdaptiveCard');
  assert.equal(receiver.bodies[2]!.json.routing_key, env.PD_KEY);
  await Promise.all([...sinks.values()].map((sink) => sink.close?.()));
});

test('a webhook URL, routing key or SMTP password written as a literal is refused: secrets by reference only', () => {
  const loaded = load({
    s: { type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/literalTOKEN' },
    p: { type: 'pagerduty', routingKey: 'R0123456789abcdef0123456789abcdef' },
    m: { type: 'email', host: 'smtp.example.com', username: 'u', password: 'literal-password', from: 'a@example.com', to: ['b@example.com'] },
  });
  assert.equal(loaded.ok, false);
  const paths = (!loaded.ok ? loaded.issues : []).map((issue) => issue.path);
  for (const path of ['alerts.sinks.s.webhookUrl', 'alerts.sinks.p.routingKey', 'alerts.sinks.m.password']) assert.ok(paths.includes(path), `${path} refused (got ${paths.join(', ')})`);
  const text = JSON.stringify(!loaded.ok && loaded.issues);
  for (const secret of ['literalTOKEN', 'literal-password', 'R0123456789abcdef']) assert.ok(!text.includes(secret), 'the issue does not repeat the secret');
});

test('each type takes only its own keys, and its required ones', () => {
  const loaded = load({ s: { type: 'slack', webhookUrl: '${env:X}', routingKey: '${env:Y}' }, m: { type: 'email', host: 'smtp.example.com', to: ['b@example.com'] } }, { X: 'https://hooks.slack.com/x', Y: 'y' });
  assert.equal(loaded.ok, false);
  const issues = !loaded.ok ? loaded.issues.map((issue) => `${issue.path}: ${issue.message}`) : [];
  assert.ok(issues.includes('alerts.sinks.s.routingKey: does not apply to type slack'), issues.join('\n'));
  assert.ok(issues.includes('alerts.sinks.m.from: is required for type email'), issues.join('\n'));
});
