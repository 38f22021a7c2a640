/** Consumers: the partners and applications that credentials belong to. */
import { Type } from '@sinclair/typebox';
import { consumerKeyMaxAgeDays, KeyAgePolicyError } from '../../keys/key-age-policy.js';
import { mergePatch } from '../merge-patch.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { consumerView } from '../views.js';
import { Empty, Timestamp } from './common.js';

export const ConsumerSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const CreateConsumer = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$' }), metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  { additionalProperties: false },
);

const UpdateConsumer = Type.Object(
  {
    metadata: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Merged into the metadata as a JSON Merge Patch (RFC 7396): members set replace, null removes, objects merge; e.g. {"apiKeys":{"maxAgeDays":30}} sets the key-age policy and keeps the rest.',
    }),
  },
  { additionalProperties: false },
);

const setStatus = (verb: 'disable' | 'enable') =>
  defineRoute({
    method: 'POST',
    path: `/v1/consumers/:id/${verb}`,
    summary: verb === 'disable' ? 'Disable a consumer: every one of its credentials stops at once, on every node' : 'Enable a disabled consumer again',
    permission: 'consumers:write',
    bodySchema: Empty,
    status: 200,
    responseSchema: ConsumerSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ params, principal, services }) {
      const status = verb === 'disable' ? 'disabled' : 'active';
      const consumer = await services.store!.write(principal, `consumer.${verb}`, (tx) => services.consumers!.setStatus(tx, params.id!, status));
      // The upstream credentials that serve a disabled consumer are revoked (issue 19 §5); every
      // node already refuses them from the consumer directory, and the sweep catches a missed one.
      if (verb === 'disable') await services.credentials?.service.revokeForConsumer(consumer.id, principal);
      return consumerView(consumer);
    },
  });

export const consumerRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/consumers',
    summary: 'List consumers, in id order',
    permission: 'consumers:read',
    querySchema: listQuery({}),
    status: 200,
    responseSchema: listOf(ConsumerSchema),
    errors: ['admin.invalid_request'],
    async handler({ query, services }) {
      const page = await paginate(query, (p) => services.consumers!.page(p), (c) => c.id);
      return { items: page.items.map(consumerView), nextCursor: page.nextCursor };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/consumers',
    summary: 'Create a consumer',
    permission: 'consumers:write',
    bodySchema: CreateConsumer,
    status: 201,
    responseSchema: ConsumerSchema,
    errors: ['admin.invalid_request', 'admin.conflict'],
    async handler({ body, principal, services }) {
      // A key-age policy in the metadata is checked now, not when the first key is issued.
      if (body.metadata !== undefined) consumerKeyMaxAgeDays(body.metadata);
      const consumer = await services.store!.write(principal, 'consumer.create', (tx) => services.consumers!.create(tx, body));
      return consumerView(consumer);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/consumers/:id',
    summary: 'Show one consumer',
    permission: 'consumers:read',
    status: 200,
    responseSchema: ConsumerSchema,
    errors: ['admin.not_found'],
    handler: async ({ params, services }) => consumerView(await services.consumers!.get(params.id!)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/consumers/:id',
    summary: "Change a consumer's metadata (a JSON Merge Patch of it, RFC 7396), e.g. its key-age policy apiKeys.maxAgeDays; audited with before and after",
    permission: 'consumers:write',
    bodySchema: UpdateConsumer,
    status: 200,
    responseSchema: ConsumerSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ params, body, principal, services }) {
      const consumer = await services.store!.write(principal, 'consumer.update', async (tx) => {
        // Read and write in one unit of work, so two patches at once cannot lose each other's members.
        const current = await services.consumers!.get(params.id!, tx.db);
        const metadata = mergePatch(current.metadata, body.metadata);
        // The result is checked, not the patch: a typo cannot leave a partner silently on the default.
        const after = consumerKeyMaxAgeDays(metadata) ?? null;
        // The audit masks members named like apiKeys: the policy before and after goes in `detail`.
        let before: number | null = null;
        try {
          before = consumerKeyMaxAgeDays(current.metadata) ?? null;
        } catch (error) {
          // A stored override written before it was checked: this patch is what repairs it.
          if (!(error instanceof KeyAgePolicyError)) throw error;
        }
        const policy = { before, after };
        return services.consumers!.setMetadata(tx, params.id!, metadata, { keyMaxAgeDays: policy });
      });
      return consumerView(consumer);
    },
  }),
  setStatus('disable'),
  setStatus('enable'),
];
