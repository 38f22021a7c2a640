/**
 * The API inventory (docs/inventory.md): every route of the running config with what it exposes,
 * to whom, under which contract and version, and its traffic (GET /v1/inventory); and the API as
 * partners see it through the gateway, as one OpenAPI 3.1 document (GET /v1/inventory/openapi);
 * one consumer's traffic per route (GET /v1/consumers/:id/traffic); every credential that expired,
 * is past its age policy or soon will be, across kinds (GET /v1/inventory/credentials).
 * Reading needs `inventory:read`.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { gatewayOpenApi, GatewayOpenApiError } from '../../config/inventory/gateway-openapi.js';
import { deprecatedReport, inventoryReport, shadowReport } from '../inventory/inventory-report.js';
import { ConsumerTrafficSchema, DeprecatedSchema, InventoryRouteSchema, ShadowSchema } from '../inventory/inventory-schemas.js';
import { consumerTraffic } from '../../store/route-traffic.js';
import { collectCredentialFacts } from '../inventory/credential-sources.js';
import { CREDENTIAL_KINDS, credentialsReport, type CredentialKind } from '../inventory/credentials-report.js';
import { CredentialsReportQuery, CredentialsReportSchema } from '../inventory/credentials-report-schema.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { requireService } from './common.js';

function running(services: AdminServices) {
  return requireService(services.runningConfig, 'the inventory')();
}

export const inventoryRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/inventory',
    summary: 'Every route of the running config: methods, host, path, upstream and egress, contract and operations, version, owner, tags, authentication, scopes, rate limits, validation, field minimisation, lifecycle and traffic',
    permission: 'inventory:read',
    status: 200,
    responseSchema: Type.Object({ routes: Type.Array(InventoryRouteSchema) }, { additionalProperties: false }),
    async handler({ services }) {
      const { config, baseDir } = running(services);
      return inventoryReport(config, { baseDir, now: services.clock.now(), store: services.store });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/inventory/openapi',
    summary: 'The API as partners see it through the gateway: an OpenAPI 3.1 document of the routed contract operations, at gateway paths, with the security of the authentication policies (or, where validate.security is enforce, each operation\'s security from the contract)',
    permission: 'inventory:read',
    querySchema: Type.Object({ serverUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 500, description: "The gateway's public base URL, as servers[0].url." })) }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object({ openapi: Type.Literal('3.1.0') }, { additionalProperties: true, description: 'An OpenAPI 3.1 document.' }),
    errors: ['admin.conflict'],
    async handler({ services, query }) {
      const { config } = running(services);
      try {
        return gatewayOpenApi(config, { now: services.clock.now(), serverUrl: query.serverUrl });
      } catch (error) {
        if (error instanceof GatewayOpenApiError) throw new GatewayError('admin.conflict', { detail: error.message });
        throw error;
      }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/inventory/shadow',
    summary: 'Shadow and zombie APIs: routes without a contract, contract operations no route serves, and requests on whole-contract routes that matched no operation (by method and path template)',
    permission: 'inventory:read',
    status: 200,
    responseSchema: ShadowSchema,
    async handler({ services }) {
      const { config, baseDir } = running(services);
      return shadowReport(config, { baseDir, now: services.clock.now(), store: services.store });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/inventory/deprecated',
    summary: 'Deprecated, announced and sunset routes, and who still calls each (requests per consumer in the last 30 days)',
    permission: 'inventory:read',
    status: 200,
    responseSchema: DeprecatedSchema,
    async handler({ services }) {
      const { config, baseDir } = running(services);
      return deprecatedReport(config, { baseDir, now: services.clock.now(), store: services.store });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/inventory/credentials',
    summary: 'The credentials report: API keys, OAuth client secrets, partner certificates of our CA, upstream credentials, vault secrets and listener certificates that expired, are past their age policy, or will be within `days` (metadata only, never a secret)',
    permission: 'inventory:read',
    querySchema: CredentialsReportQuery,
    status: 200,
    responseSchema: CredentialsReportSchema,
    async handler({ query, services }) {
      const { config } = running(services);
      const store = requireService(services.store, 'the store');
      const kinds = query.kind === undefined ? CREDENTIAL_KINDS : (query.kind.split(',') as CredentialKind[]);
      const { facts, warnings } = await collectCredentialFacts(store.db, config, kinds);
      return credentialsReport(facts, { now: services.clock.now(), days: query.days, all: query.all, kinds }, warnings);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/consumers/:id/traffic',
    summary: "One consumer's requests and errors per route in the last 24 h and 30 days, from the gateway's route counters",
    permission: 'inventory:read',
    status: 200,
    responseSchema: ConsumerTrafficSchema,
    errors: ['admin.not_found'],
    async handler({ params, services }) {
      const consumer = await requireService(services.consumers, 'consumers').get(params.id!);
      const store = requireService(services.store, 'the store');
      const routes = await consumerTraffic(store, consumer.id, services.clock.now());
      return { routes: routes.map((item) => ({ ...item, lastSeen: new Date(item.lastSeen).toISOString() })) };
    },
  }),
];
