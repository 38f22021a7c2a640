/**
 * GET /v1/openapi.json: an OpenAPI 3.1 document generated from the route table, valid by the
 * OpenAPI 3.1 schema (a real validator, @seriousme/openapi-schema-validator), describing every
 * route with its permission, its schemas and its problem responses; and true: what the API
 * answers matches the response schemas it publishes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiPath } from '../src/admin/openapi.js';
import { addStrictFormats } from '../src/openapi/formats.js';
import { ADMIN_ROUTES } from '../src/admin/routes/index.js';
import { assertProblem, httpRequest, startUpstream, type TestUpstream } from './helpers/index.js';
import { startOAuthKeyGateway } from './helpers/keys.js';

type Operation = { 'x-permission': string; operationId: string; parameters: Array<{ name: string; in: string }>; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

describe('the admin API describes itself', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startOAuthKeyGateway>>;
  let document: Document;
  before(async () => {
    upstream = await startUpstream();
    gw = await startOAuthKeyGateway(upstream.url, {
      routes: [{ name: 'r', methods: ['GET'], path: '/r', upstream: 'backend', policies: { ratelimit: { limits: [{ name: 'per-day', limit: 10, windowSeconds: 60 }] } } }],
    });
    const reply = await gw.admin.call('GET', '/v1/openapi.json');
    assert.equal(reply.status, 200, reply.text);
    document = reply.json<Document>();
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('serves the description only to an authenticated caller', async () => {
    assertProblem(await httpRequest(`${gw.gateway.adminUrl}/v1/openapi.json`), 401, 'admin.unauthorized');
  });

  test('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
  });

  test('describes every route of the table with its permission, schemas and problem responses', () => {
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    assert.equal(operations.length, ADMIN_ROUTES.length);
    assert.equal(new Set(operations.map((o) => o.operationId)).size, operations.length, 'operationIds are unique');
    for (const route of ADMIN_ROUTES) {
      const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      assert.ok(operation, `${route.method} ${route.path} is described`);
      assert.equal(operation['x-permission'], route.permission);
      if (route.status === 302) assert.ok(operation.responses['302']?.headers?.Location, 'a redirect names its Location');
      else assert.ok(operation.responses[String(route.status)]?.content['application/json']?.schema, 'its answer has a schema');
      assert.equal(Boolean(operation.requestBody), Boolean(route.bodySchema), 'a request body exactly where the route reads one');
      for (const status of ['401', '403', '500', '503']) assert.deepEqual(operation.responses[status]?.content['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' }, `${route.path} ${status}`);
      for (const param of route.path.match(/:[A-Za-z_]+/g) ?? []) assert.ok(operation.parameters.some((p) => p.in === 'path' && p.name === param.slice(1)), `${route.path} declares ${param}`);
      if (route.method === 'GET' && route.responseSchema.properties?.nextCursor) {
        assert.deepEqual(operation.parameters.filter((p) => p.in === 'query' && ['limit', 'cursor'].includes(p.name)).map((p) => p.name), ['limit', 'cursor'], `${route.path} is paginated`);
      }
    }
  });

  test('what the API answers matches the schemas it publishes', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addStrictFormats(ajv);
    const check = async (method: string, path: string, template: string, body?: unknown) => {
      const reply = await gw.admin.call(method, path, body);
      const response = document.paths[template]![method.toLowerCase()]!.responses[String(reply.status)];
      assert.ok(response, `${method} ${path} answered ${reply.status}, which is not described: ${reply.text}`);
      const [type, media] = Object.entries(response.content)[0]!;
      assert.equal(reply.headers['content-type'], type);
      if (type === 'application/json') assert.ok(ajv.validate(media.schema as object, reply.json()), `${method} ${path}: ${ajv.errorsText()}`);
      return reply.json<Record<string, any>>();
    };
    const consumer = await check('POST', '/v1/consumers', '/v1/consumers', { name: 'described', metadata: { tier: 'gold' } });
    await check('GET', '/v1/consumers', '/v1/consumers');
    await check('GET', `/v1/consumers/${consumer.id}`, '/v1/consumers/{id}');
    const key = await check('POST', '/v1/keys', '/v1/keys', { consumerId: consumer.id, name: 'k', scopes: ['a:b'] });
    await check('GET', '/v1/keys', '/v1/keys');
    await check('POST', `/v1/keys/${key.apiKey.id}/rotate`, '/v1/keys/{id}/rotate', {});
    await check('POST', `/v1/keys/${key.apiKey.id}/revoke`, '/v1/keys/{id}/revoke');
    const client = await check('POST', '/v1/oauth/clients', '/v1/oauth/clients', { consumerId: consumer.id, name: 'c', scopes: [] });
    await check('GET', '/v1/oauth/clients', '/v1/oauth/clients');
    await check('POST', `/v1/oauth/clients/${client.client.clientId}/rotate`, '/v1/oauth/clients/{id}/rotate', {});
    await check('GET', '/v1/oauth/signing-keys', '/v1/oauth/signing-keys');
    await check('POST', '/v1/oauth/signing-keys/rotate', '/v1/oauth/signing-keys/rotate', {});
    const override = await check('POST', '/v1/rate-limit-overrides', '/v1/rate-limit-overrides', { subjectType: 'consumer', subjectId: consumer.id, limitName: 'per-day', limit: 5 });
    await check('GET', '/v1/rate-limit-overrides', '/v1/rate-limit-overrides');
    await check('DELETE', `/v1/rate-limit-overrides/${override.id}`, '/v1/rate-limit-overrides/{id}');
    // Problems are described too.
    await check('GET', '/v1/consumers/con_nobody', '/v1/consumers/{id}');
    await check('POST', '/v1/consumers', '/v1/consumers', { name: 'described' });
    await check('GET', '/v1/keys?limit=0', '/v1/keys');
  });
});
