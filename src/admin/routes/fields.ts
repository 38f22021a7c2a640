/**
 * Field-usage evidence (docs/fields.md#field-usage-evidence): for one route, the allowed response
 * fields of its running config, how often each was present per consumer, and which allowed fields
 * were never present within a window (`unused=90d`): candidates to remove from the allowlist, so
 * minimisation gets tighter over time. Reading needs `fields:read`.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { listFieldUsage, unusedFields } from '../../store/field-usage.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService, Timestamp } from './common.js';

const DAY_MS = 86_400_000;

const UsageRow = Type.Object(
  { consumer: Type.String(), path: Type.String(), count: Type.Integer({ minimum: 0 }), firstSeen: Timestamp, lastSeen: Timestamp },
  { additionalProperties: false },
);

export const fieldRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/fields/usage',
    summary: "A route's allowed response fields, how often each was present per consumer, and those unused within a window",
    permission: 'fields:read',
    querySchema: Type.Object(
      {
        route: Type.String({ minLength: 1, maxLength: 200, description: 'The route name.' }),
        consumer: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Only this consumer's usage ('-' for anonymous callers)." })),
        unused: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}d$', description: 'A window in days, e.g. 90d: list the allowed fields not present in any response within it.' })),
      },
      { additionalProperties: false },
    ),
    status: 200,
    responseSchema: Type.Object(
      {
        route: Type.String(),
        allowed: Type.Array(Type.String(), { description: "The route's allow-mode response paths in the running config ([] when it has none)." }),
        usage: Type.Array(UsageRow, { description: 'Counts as flushed to the store (each node flushes once a minute and at shutdown).' }),
        unused: Type.Optional(Type.Array(Type.String(), { description: 'With ?unused: allowed paths not present within the window (never present counts).' })),
      },
      { additionalProperties: false },
    ),
    errors: ['admin.not_found'],
    async handler({ query, services }) {
      const store = requireService(services.store, 'the store');
      const allowed = services.fieldAllowlist(query.route);
      if (allowed === undefined) throw new GatewayError('admin.not_found', { detail: `The running config has no route named ${query.route}.` });
      const rows = await listFieldUsage(store, query.route, query.consumer);
      const usage = rows.map((row) => ({ consumer: row.consumer, path: row.path, count: row.count, firstSeen: new Date(row.firstSeen).toISOString(), lastSeen: new Date(row.lastSeen).toISOString() }));
      if (query.unused === undefined) return { route: query.route, allowed: [...allowed], usage };
      const since = services.clock.now() - Number(query.unused.slice(0, -1)) * DAY_MS;
      return { route: query.route, allowed: [...allowed], usage, unused: unusedFields(allowed, rows, since) };
    },
  }),
];
