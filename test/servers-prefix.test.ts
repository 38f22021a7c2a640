/**
 * A route that binds a whole contract uses the path of the contract's `servers` URL as its prefix
 * by default (issue 12 §5): `/v2/accounts/5` matches the document's `/accounts/{id}` when the
 * document says it is served under `https://api.example.com/v2`, without writing pathPrefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../src/config/loader.js';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const contract = (servers: string) => `openapi: 3.0.3
info: { title: t, version: '1' }
servers:
${servers}
paths:
  /accounts/{id}:
    get:
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses: { '200': { description: ok } }
`;

describe("the contract's servers path as the default prefix", () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    const absolute = writeContract(contract('  - url: https://api.example.com/v2\n  - url: https://sandbox.example.com/v2/'), 'absolute.yaml');
    const relative = writeContract(contract('  - url: /v3'), 'relative.yaml');
    gw = await startGateway(
      baseConfig([upstream.url], {
        routes: [
          { name: 'v2', methods: ['GET'], path: '/v2/*', upstream: 'backend', policies: { validate: { contract: absolute } } },
          { name: 'v3', methods: ['GET'], path: '/v3/*', upstream: 'backend', policies: { validate: { contract: relative } } },
          { name: 'explicit', methods: ['GET'], path: '/x/v2/*', upstream: 'backend', policies: { validate: { contract: absolute, pathPrefix: '/x/v2' } } },
          { name: 'root', methods: ['GET'], path: '/*', upstream: 'backend', policies: { validate: { contract: absolute } } },
        ],
      }),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('a route under the servers path matches document paths without pathPrefix written, and validates them', async () => {
    assert.equal((await httpRequest(`${gw.url}/v2/accounts/5`)).status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/v2/accounts/5', 'forwarded as received');
    assertProblem(await httpRequest(`${gw.url}/v2/accounts/five`), 400, 'validation.failed');
    assert.equal((await httpRequest(`${gw.url}/v3/accounts/7`)).status, 200, 'a relative servers URL too');
    assertProblem(await httpRequest(`${gw.url}/v2/nothing`), 404, 'route.not_found');
  });

  test('an explicit pathPrefix wins, and a route outside the servers path is matched as written', async () => {
    assert.equal((await httpRequest(`${gw.url}/x/v2/accounts/5`)).status, 200);
    assert.equal((await httpRequest(`${gw.url}/accounts/5`)).status, 200, 'the root route matches document paths directly');
    assertProblem(await httpRequest(`${gw.url}/accounts/five`), 400, 'validation.failed');
  });

  test('the default is visible in the loaded config, and never set for an operation binding', () => {
    const file = writeContract(contract('  - url: https://api.example.com/v2'), 'loaded.yaml');
    const loaded = validateConfig(
      baseConfig(['http://127.0.0.1:1'], {
        routes: [
          { name: 'whole', methods: ['GET'], path: '/v2/*', upstream: 'backend', policies: { validate: { contract: file } } },
          { name: 'one', methods: ['GET'], path: '/v2/accounts/:id', upstream: 'backend', policies: { validate: { contract: file, operation: 'GET /accounts/{id}' } } },
        ],
      }),
      {},
    );
    assert.ok(loaded.ok);
    assert.equal(loaded.config.routes[0]!.policies.validate!.pathPrefix, '/v2');
    assert.equal(loaded.config.routes[1]!.policies.validate!.pathPrefix, undefined);
  });
});
