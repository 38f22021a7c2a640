/** OAuth clients of the built-in authorization server (present when `oauth` is configured). */
import { Type } from '@sinclair/typebox';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { ConsumerId, Empty, GracePeriod, NullableTimestamp, requireService, Scope, Timestamp } from './common.js';

export const ClientSchema = Type.Object(
  {
    clientId: Type.String(),
    consumerId: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    authMethods: Type.Array(Type.String()),
    jwksKeyIds: Type.Array(Type.String(), { description: 'The kids of the registered public keys (private_key_jwt).' }),
    previousSecretValidUntil: NullableTimestamp,
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    revokedAt: NullableTimestamp,
  },
  { additionalProperties: false },
);

const ClientSecret = Type.String({ description: 'The client secret: shown only in this answer, never again.' });

const CreateClient = Type.Object(
  {
    consumerId: ConsumerId,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Scope, { default: [], maxItems: 100 }),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 10 }) }, { additionalProperties: false })),
    secret: Type.Boolean({ default: true, description: 'false: no secret (a private_key_jwt-only client).' }),
  },
  { additionalProperties: false },
);

export const oauthOff = 'The built-in authorization server (the oauth section)';
const clients = (services: AdminServices) => requireService(services.oauth, oauthOff).clients;

export const clientRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/oauth/clients',
    summary: "List OAuth clients (never their secrets), in id order; consumerId: one consumer's",
    permission: 'oauth-clients:read',
    querySchema: listQuery({ consumerId: Type.Optional(ConsumerId) }),
    status: 200,
    responseSchema: listOf(ClientSchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ query, services }) => paginate(query, (p) => clients(services).page({ consumerId: query.consumerId }, p), (c) => c.clientId),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/oauth/clients',
    summary: 'Create an OAuth client for an active consumer (its secret is in this answer only)',
    permission: 'oauth-clients:write',
    bodySchema: CreateClient,
    status: 201,
    responseSchema: Type.Object({ clientSecret: Type.Optional(ClientSecret), client: ClientSchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ body, principal, services }) {
      const created = await clients(services).create(principal, body);
      return { clientSecret: created.clientSecret, client: created.view };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/oauth/clients/:id',
    summary: 'Show one OAuth client (never its secret)',
    permission: 'oauth-clients:read',
    status: 200,
    responseSchema: ClientSchema,
    errors: ['admin.not_found'],
    handler: ({ params, services }) => clients(services).get(params.id!),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/oauth/clients/:id/rotate',
    summary: 'Issue a new client secret; the old one works until the grace period ends',
    permission: 'oauth-clients:write',
    bodySchema: Type.Object({ gracePeriodSeconds: GracePeriod }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object({ clientSecret: ClientSecret, client: ClientSchema }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, body, principal, services }) {
      const rotated = await clients(services).rotate(principal, params.id!, body.gracePeriodSeconds);
      return { clientSecret: rotated.clientSecret, client: rotated.view };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/oauth/clients/:id/revoke',
    summary: 'Revoke an OAuth client and every token it holds, on every node',
    permission: 'oauth-clients:revoke',
    bodySchema: Empty,
    status: 200,
    responseSchema: ClientSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ params, principal, services }) {
      return clients(services).revoke(principal, params.id!);
    },
  }),
];
