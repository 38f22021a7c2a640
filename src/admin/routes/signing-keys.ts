/** The built-in authorization server's token signing keys (present when `oauth` is configured). */
import { Type } from '@sinclair/typebox';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { oauthOff } from './clients.js';
import { Empty, NullableTimestamp, requireService, Timestamp } from './common.js';

export const SigningKeySchema = Type.Object(
  {
    kid: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    published: Type.Boolean({ description: 'In the JWKS: active, or retired while tokens it signed may still be live.' }),
    createdAt: Timestamp,
    retiredAt: NullableTimestamp,
    publishUntil: NullableTimestamp,
  },
  { additionalProperties: false },
);

export const signingKeyRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/oauth/signing-keys',
    summary: 'List token signing keys, in id order; retired keys stay published until their tokens expire',
    permission: 'signing-keys:read',
    querySchema: listQuery({}),
    status: 200,
    responseSchema: listOf(SigningKeySchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ query, services }) => paginate(query, (p) => requireService(services.oauth, oauthOff).signingKeys.page(p), (k) => k.kid),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/oauth/signing-keys/rotate',
    summary: 'Make a new signing key active now (after a suspected leak, say); answers every key',
    permission: 'signing-keys:write',
    bodySchema: Empty,
    status: 201,
    // Every key, not a page: there are a handful (one active, the retired ones still published).
    responseSchema: Type.Object({ items: Type.Array(SigningKeySchema) }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ principal, services }) {
      const { signingKeys } = requireService(services.oauth, oauthOff);
      await signingKeys.rotateIfDue(true, principal);
      return { items: await signingKeys.list() };
    },
  }),
];
