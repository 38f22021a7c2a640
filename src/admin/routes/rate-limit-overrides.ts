/** Rate-limit overrides (issue #6): applied by every node from the change feed, no restart. */
import { Type } from '@sinclair/typebox';
import { CONSUMER_ID_PATTERN } from '../../core/consumer-id.js';
import { GatewayError } from '../../core/errors.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { overrideView } from '../views.js';
import { Timestamp } from './common.js';

const SubjectType = Type.Union([Type.Literal('consumer'), Type.Literal('api_key')]);
const SubjectId = Type.String({ pattern: CONSUMER_ID_PATTERN, maxLength: 64 });

export const OverrideSchema = Type.Object(
  {
    id: Type.String(),
    subjectType: SubjectType,
    subjectId: Type.String(),
    limitName: Type.String(),
    limit: Type.Integer(),
    windowSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'Null: the configured window.' }),
    burst: Type.Union([Type.Integer(), Type.Null()], { description: 'Null: the burst follows the limit.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const SetOverride = Type.Object(
  {
    subjectType: SubjectType,
    subjectId: SubjectId,
    limitName: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }),
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  },
  { additionalProperties: false },
);

export const overrideRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/rate-limit-overrides',
    summary: "List rate-limit overrides, in id order; subjectType and subjectId: one subject's",
    permission: 'rate-limit-overrides:read',
    querySchema: listQuery({ subjectType: Type.Optional(SubjectType), subjectId: Type.Optional(SubjectId) }),
    status: 200,
    responseSchema: listOf(OverrideSchema),
    errors: ['admin.invalid_request'],
    async handler({ query, services }) {
      const page = await paginate(query, (p) => services.overrides!.page({ subjectType: query.subjectType, subjectId: query.subjectId }, p), (o) => o.id);
      return { items: page.items.map(overrideView), nextCursor: page.nextCursor };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/rate-limit-overrides',
    summary: "Set a consumer's or key's own numbers for a named limit (replaces its existing override)",
    permission: 'rate-limit-overrides:write',
    bodySchema: SetOverride,
    status: 200,
    responseSchema: OverrideSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ body, principal, services }) {
      // An override for a mistyped name or id would silently do nothing: refuse both.
      const known = services.rateLimitNames();
      if (!known.has(body.limitName)) {
        throw new GatewayError('admin.invalid_request', { detail: `No rate limit is named "${body.limitName}" in the running config (known: ${[...known].sort().join(', ') || 'none'}).` });
      }
      if (body.subjectType === 'consumer') await services.consumers!.get(body.subjectId);
      else await services.keys!.get(body.subjectId);
      const values = { ...body, windowSeconds: body.windowSeconds ?? null, burst: body.burst ?? null };
      const override = await services.store!.write(principal, 'rate_limit_override.set', (tx) => services.overrides!.set(tx, values));
      return overrideView(override);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/rate-limit-overrides/:id',
    summary: 'Show one rate-limit override',
    permission: 'rate-limit-overrides:read',
    status: 200,
    responseSchema: OverrideSchema,
    errors: ['admin.not_found'],
    handler: async ({ params, services }) => overrideView(await services.overrides!.get(params.id!)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/rate-limit-overrides/:id',
    summary: 'Delete an override: the configured numbers apply again',
    permission: 'rate-limit-overrides:write',
    status: 200,
    responseSchema: Type.Object({ deleted: Type.String() }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, principal, services }) {
      await services.store!.write(principal, 'rate_limit_override.delete', (tx) => services.overrides!.delete(tx, params.id!));
      return { deleted: params.id! };
    },
  }),
];
