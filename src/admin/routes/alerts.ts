/**
 * The alert engine through the admin API (docs/alerts.md#silences, docs/admin-api.md): the alerts
 * firing and pending now (`alerts:read`), the silences (`alerts:read` to list, `alerts:silence` to
 * create and expire: each an audited unit of work), and a test notification of a rule to one sink
 * through the real path (`alerts:test`).
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { ALERT_RULE_NAMES, type AlertRuleName } from '../../core/alert-rules.js';
import { describeActor } from '../../core/actor.js';
import { GatewayError } from '../../core/errors.js';
import type { AlertView } from '../../alerts/alert-engine.js';
import type { Silence } from '../../alerts/silences.js';
import { decodeCursor, encodeCursor, listOf, listQuery } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { requireService, Timestamp } from './common.js';

const Labels = Type.Record(Type.String(), Type.String());
const MAX_SILENCE_SECONDS = 90 * 86400;

const AlertItem = Type.Object(
  {
    id: Type.String({ description: 'Stable for the alert (rule and labels) while it lasts.' }),
    rule: Type.String(),
    state: Type.Union([Type.Literal('firing'), Type.Literal('pending')]),
    severity: Type.String(),
    labels: Labels,
    summary: Type.String(),
    startsAt: Timestamp,
    silencedBy: Type.Array(Type.String()),
    inhibited: Type.Boolean(),
    runbookUrl: Type.Optional(Type.String()),
    value: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

const SilenceItem = Type.Object(
  { id: Type.String(), matchers: Labels, author: Type.String(), reason: Type.String(), startsAt: Timestamp, endsAt: Timestamp, createdAt: Timestamp },
  { additionalProperties: false },
);

const alertId = (view: AlertView) => createHash('sha256').update(`${view.alert.rule}${JSON.stringify(Object.entries(view.alert.labels).sort())}`).digest('hex').slice(0, 24);

const silenceJson = (silence: Silence) => ({ id: silence.id, matchers: { ...silence.matchers }, author: silence.author, reason: silence.reason, startsAt: silence.startsAt.toISOString(), endsAt: silence.endsAt.toISOString(), createdAt: silence.createdAt.toISOString() });

/** One page of items sorted by id, after the cursor's id. */
function page<T extends { id: string }>(items: T[], query: { limit: number; cursor?: string | undefined }, decode: (cursor: string) => string, encode: (id: string) => string) {
  const after = query.cursor === undefined ? undefined : decode(query.cursor);
  const sorted = items.sort((a, b) => (a.id < b.id ? -1 : 1)).filter((item) => after === undefined || item.id > after);
  const slice = sorted.slice(0, query.limit);
  return { items: slice, nextCursor: sorted.length > query.limit ? encode(slice[slice.length - 1]!.id) : null };
}

function alerts(services: AdminServices) {
  return requireService(services.alerts, 'the alert engine');
}

export const alertRoutes: AdminRoute[] = [
    defineRoute({
      method: 'GET',
      path: '/v1/alerts',
      summary: 'Alerts firing and pending on this node, with the silences and inhibitions that hide them',
      permission: 'alerts:read',
      querySchema: listQuery({ state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('pending')])) }),
      status: 200,
      responseSchema: listOf(AlertItem),
      errors: ['admin.invalid_request'],
      async handler({ query, services }) {
        const views = alerts(services).engine.alerts().filter((view) => query.state === undefined || view.state === query.state);
        const items = views.map((view) => ({
          id: alertId(view),
          rule: view.alert.rule,
          state: view.state,
          severity: view.alert.severity,
          labels: { ...view.alert.labels },
          summary: view.alert.summary,
          startsAt: view.alert.startsAt.toISOString(),
          silencedBy: [...view.silencedBy],
          inhibited: view.inhibited,
          ...(view.alert.runbookUrl === undefined ? {} : { runbookUrl: view.alert.runbookUrl }),
          ...(view.alert.value === undefined ? {} : { value: view.alert.value }),
        }));
        return page(items, query, decodeCursor, encodeCursor);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/alerts/sinks',
      summary: 'The alert sinks in force (alerts.sinks in the config): name and type, never a URL, key or address',
      permission: 'alerts:read',
      querySchema: listQuery({}),
      status: 200,
      responseSchema: listOf(Type.Object({ name: Type.String(), type: Type.String() }, { additionalProperties: false })),
      errors: ['admin.invalid_request'],
      async handler({ query, services }) {
        const sinks = [...alerts(services).engine.sinks.values()].map((sink) => ({ id: sink.name, type: sink.type }));
        const answer = page(sinks, query, decodeCursor, encodeCursor);
        return { items: answer.items.map((sink) => ({ name: sink.id, type: sink.type })), nextCursor: answer.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/alerts/silences',
      summary: 'Silences not yet expired (active, or starting later)',
      permission: 'alerts:read',
      querySchema: listQuery({}),
      status: 200,
      responseSchema: listOf(SilenceItem),
      errors: ['admin.invalid_request'],
      async handler({ query, services }) {
        const silences = requireService(alerts(services).silences, 'the store');
        return page((await silences.list(services.clock.now())).map(silenceJson), query, decodeCursor, encodeCursor);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/alerts/silences',
      summary: 'Silence the alerts that carry all the given labels, with a reason, until an expiry',
      permission: 'alerts:silence',
      bodySchema: Type.Object(
        {
          matchers: Type.Record(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' }), Type.String({ maxLength: 200 }), { minProperties: 1, description: 'Labels an alert must carry exactly (rule, severity, route, upstream, consumer, node, …).' }),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
          durationSeconds: Type.Integer({ minimum: 60, maximum: MAX_SILENCE_SECONDS, description: 'How long from now the silence lasts (at most 90 days).' }),
        },
        { additionalProperties: false },
      ),
      status: 201,
      responseSchema: SilenceItem,
      errors: ['admin.invalid_request'],
      async handler({ body, principal, services }) {
        const silences = requireService(alerts(services).silences, 'the store');
        const now = services.clock.now();
        const silence = await silences.create(principal, { matchers: body.matchers, author: describeActor(principal), reason: body.reason, startsAt: now, endsAt: now + body.durationSeconds * 1000 });
        return silenceJson(silence);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/alerts/silences/:id',
      summary: 'Expire a silence now: the alerts it hid are sent again',
      permission: 'alerts:silence',
      status: 200,
      responseSchema: SilenceItem,
      errors: ['admin.not_found'],
      async handler({ params, principal, services }) {
        const silences = requireService(alerts(services).silences, 'the store');
        const expired = await silences.expire(principal, params.id!);
        if (!expired) throw new GatewayError('admin.not_found', { detail: `No silence ${params.id} is in force.` });
        return silenceJson(expired);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/alerts/test',
      summary: 'Send a sample alert of a rule to one sink through the real path (queue, signature, retries)',
      permission: 'alerts:test',
      bodySchema: Type.Object({ rule: Type.Union(ALERT_RULE_NAMES.map((name) => Type.Literal(name))), sink: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }) }, { additionalProperties: false }),
      status: 200,
      responseSchema: Type.Object({ notification: Type.String(), delivered: Type.Boolean() }, { additionalProperties: false }),
      errors: ['admin.invalid_request'],
      async handler({ body, principal, services }) {
        const engine = alerts(services).engine;
        if (!engine.sinks.has(body.sink)) throw new GatewayError('admin.invalid_request', { detail: `No alert sink named ${body.sink} (alerts.sinks has: ${[...engine.sinks.keys()].join(', ') || 'none'}).` });
        const result = await engine.test(body.rule as AlertRuleName, body.sink, describeActor(principal));
        return { notification: result.id, delivered: result.delivered };
      },
    }),
];
