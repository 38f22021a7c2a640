/**
 * `GET /v1/openapi.json`: the admin API's own description, generated from the route table.
 * Authenticated like every other route: it lists what this gateway can do (whether OAuth is on,
 * every permission), which is a map for an attacker and of no use to anyone without a credential.
 */
import { Type } from '@sinclair/typebox';
import { buildOpenApiDocument } from '../openapi.js';
import { defineRoute, type AdminRoute } from '../route.js';

const documents = new WeakMap<readonly AdminRoute[], unknown>();

export const openApiRoute: AdminRoute = defineRoute({
  method: 'GET',
  path: '/v1/openapi.json',
  summary: 'This description of the admin API (OpenAPI 3.1)',
  permission: 'openapi:read',
  status: 200,
  responseSchema: Type.Object({ openapi: Type.String() }, { additionalProperties: true, description: 'An OpenAPI 3.1 document.' }),
  async handler({ routes }) {
    // The table is fixed once the API is built: generate the document once.
    let document = documents.get(routes);
    if (!document) documents.set(routes, (document = buildOpenApiDocument(routes)));
    return document;
  },
});
