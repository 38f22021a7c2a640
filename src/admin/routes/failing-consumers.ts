/**
 * The consumers whose calls failed most (GET /v1/inventory/failing-consumers, docs/inventory.md):
 * errors (5xx or no answer) per consumer over every route in the last 24 h, from the gateway's
 * route counters (store/route-traffic.ts), never a query on the data plane's path. The console's
 * overview lists the top five. Reading needs `inventory:read`.
 */
import { Type } from '@sinclair/typebox';
import { failingConsumers } from '../../store/route-traffic.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService, Timestamp } from './common.js';

export const failingConsumerRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/inventory/failing-consumers',
    summary: "The consumers whose calls failed most in the last 24 h (5xx or no answer), over every route, from the gateway's route counters",
    permission: 'inventory:read',
    querySchema: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Most consumers returned.' }) }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object(
      {
        consumers: Type.Array(
          Type.Object(
            {
              consumerId: Type.String(),
              last24h: Type.Object({ requests: Type.Integer(), errors: Type.Integer() }, { additionalProperties: false }),
              lastSeen: Timestamp,
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    errors: ['admin.not_found'],
    async handler({ query, services }) {
      const store = requireService(services.store, 'the store');
      const failing = await failingConsumers(store, services.clock.now(), query.limit ?? 10);
      return { consumers: failing.map((item) => ({ consumerId: item.consumer, last24h: { requests: item.requests, errors: item.errors }, lastSeen: new Date(item.lastSeen).toISOString() })) };
    },
  }),
];
