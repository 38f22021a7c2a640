/** API keys: issued to a consumer, shown once, stored as keyed hashes; rotated with grace, revoked at once. */
import { Type } from '@sinclair/typebox';
import { DAY_DURATION_PATTERN, parseDayDuration } from '../../keys/key-age-policy.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { ConsumerId, Empty, GracePeriod, NullableTimestamp, Scope, Timestamp } from './common.js';

export const KeySchema = Type.Object(
  {
    id: Type.String(),
    consumerId: Type.String(),
    name: Type.String(),
    environment: Type.String(),
    scopes: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    expiresAt: NullableTimestamp,
    createdBy: Type.String(),
    createdAt: Timestamp,
    lastUsedAt: NullableTimestamp,
    replacedBy: Type.Union([Type.String(), Type.Null()]),
    revokedAt: NullableTimestamp,
    pastWarningAge: Type.Boolean({ description: "Older than its consumer's warn age (its maxAgeDays minus the warn window apiKeys.maxAgeDays - apiKeys.warnAgeDays): rotate it." }),
    policyExpiresAt: Timestamp,
  },
  { additionalProperties: false },
);

const Secret = Type.String({ description: 'The API key itself: shown only in this answer, never again.' });

const CreateKey = Type.Object(
  {
    consumerId: ConsumerId,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Scope, { default: [], maxItems: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1 })),
    environment: Type.Optional(Type.String({ pattern: '^[a-z]{2,8}$' })),
  },
  { additionalProperties: false },
);

const RotateKey = Type.Object({ gracePeriodSeconds: GracePeriod, expiresInDays: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export const keyRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/keys',
    summary: "List API keys (never the keys themselves), in id order; consumerId: one consumer's; expiring / olderThan: active keys that end within, or were created more than, that many days (30d)",
    permission: 'keys:read',
    querySchema: listQuery({
      consumerId: Type.Optional(ConsumerId),
      expiring: Type.Optional(Type.String({ pattern: DAY_DURATION_PATTERN, description: 'Only active keys whose policyExpiresAt is within this many days (e.g. 30d), including keys already past their policy.' })),
      olderThan: Type.Optional(Type.String({ pattern: DAY_DURATION_PATTERN, description: 'Only active keys created more than this many days ago (e.g. 90d).' })),
    }),
    status: 200,
    responseSchema: listOf(KeySchema),
    errors: ['admin.invalid_request'],
    handler: ({ query, services }) => {
      const filter = {
        consumerId: query.consumerId,
        expiringWithinDays: query.expiring === undefined ? undefined : parseDayDuration(query.expiring, 'expiring'),
        olderThanDays: query.olderThan === undefined ? undefined : parseDayDuration(query.olderThan, 'olderThan'),
      };
      return paginate(query, (p) => services.keys!.page(filter, p), (k) => k.id);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys',
    summary: 'Issue an API key for an active consumer (the key is in this answer only)',
    permission: 'keys:write',
    bodySchema: CreateKey,
    status: 201,
    responseSchema: Type.Object({ secret: Secret, apiKey: KeySchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ body, principal, services }) {
      const created = await services.keys!.create(principal, body);
      // `secret` is the API key itself (shown once); `apiKey` is its record, as GET /v1/keys/:id shows it.
      return { secret: created.key, apiKey: created.view };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/keys/:id',
    summary: 'Show one API key (never the key itself)',
    permission: 'keys:read',
    status: 200,
    responseSchema: KeySchema,
    errors: ['admin.not_found'],
    handler: ({ params, services }) => services.keys!.get(params.id!),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys/:id/rotate',
    summary: 'Issue a replacement key; the old one works until the grace period ends',
    permission: 'keys:write',
    bodySchema: RotateKey,
    status: 201,
    responseSchema: Type.Object({ secret: Secret, apiKey: KeySchema, previous: KeySchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, body, principal, services }) {
      const rotated = await services.keys!.rotate(principal, params.id!, { graceSeconds: body.gracePeriodSeconds, expiresInDays: body.expiresInDays });
      return { secret: rotated.key, apiKey: rotated.view, previous: rotated.old };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/keys/:id/revoke',
    summary: 'Revoke an API key now, on every node',
    permission: 'keys:revoke',
    bodySchema: Empty,
    status: 200,
    responseSchema: KeySchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ params, principal, services }) {
      const revoked = await services.keys!.revoke(principal, params.id!);
      return revoked;
    },
  }),
];
