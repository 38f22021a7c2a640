/**
 * Large public OpenAPI documents from npm dev dependencies (not copied into the repo): GitHub's REST
 * API (OpenAPI 3.0, 700 operations, from @octokit/openapi), GitHub Enterprise Server 2.22 (3.0) and
 * Figma's REST API (3.1, from @figma/rest-api-spec). Each must load and compile as a whole, and real
 * requests through the gateway must be accepted or refused with the right pointer.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { loadContract } from '../src/openapi/contract.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

const require = createRequire(import.meta.url);
const GITHUB = require.resolve('@octokit/openapi/generated/api.github.com.json');
const GHES = require.resolve('@octokit/openapi/generated/ghes-2.22.json');
const FIGMA = require.resolve('@figma/rest-api-spec/openapi/openapi.yaml');

type Problem = { errors: Array<{ pointer: string; keyword: string }> };
const pointers = (problem: Record<string, unknown>) => (problem as unknown as Problem).errors.map((e) => [e.pointer, e.keyword]);
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('every operation of three real documents compiles (GitHub 3.0, GitHub Enterprise 3.0, Figma 3.1)', () => {
  for (const [file, version, atLeast] of [[GITHUB, '3.0', 700], [GHES, '3.0', 600], [FIGMA, '3.1', 40]] as const) {
    const contract = loadContract(file, { strictBodies: true, responses: true });
    assert.equal(contract.document.version, version);
    assert.ok(contract.operations.length >= atLeast, `${file}: ${contract.operations.length} operations`);
    assert.ok(contract.operations.every((op) => op.parameters.path.specs.length === op.operation.parameters.filter((p) => p.in === 'path').length));
  }
});

describe('GitHub REST API contract bound to a whole upstream', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'github', methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'], path: '/*', upstream: 'backend', policies: { validate: { contract: GITHUB } } }] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('accepts valid requests and forwards them', async () => {
    assert.equal((await httpRequest(`${gw.url}/orgs/octokit/repos?type=public&per_page=50`)).status, 200);
    assert.equal((await httpRequest(`${gw.url}/repos/octokit/rest.js/issues`, json({ title: 'Found a bug', labels: ['bug'], milestone: null }))).status, 200);
    assert.equal((await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/42`)).status, 200);
  });

  test('refuses wrong types, injection strings, missing and extra fields with their pointers', async () => {
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/${encodeURIComponent('1 OR 1=1')}`), 400, 'validation.failed')), [['/path/issue_number', 'type']]);
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/orgs/octokit/repos?per_page=ten&type=everything`), 400, 'validation.failed')).sort(), [['/query/per_page', 'type'], ['/query/type', 'enum']]);
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/repos/octokit/rest.js/issues`, json({ body: 'no title', admin: true })), 400, 'validation.failed')).sort(), [['/body/admin', 'unevaluatedProperties'], ['/body/title', 'required']]);
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/repos/octokit/rest.js/issues`, json({ title: 'x'.repeat(100_000) })), 400, 'validation.failed')), [['/body/title', 'maxStringLength']]);
    assertProblem(await httpRequest(`${gw.url}/no/such/endpoint/here`), 404, 'route.not_found');
  });
});

test("GitHub's 700 operations become routes, each validated against its operation", async () => {
  const upstream = await startUpstream();
  const config = baseConfig([upstream.url], { contractRoutes: [{ contract: GITHUB, upstream: 'backend', namePrefix: 'gh-' }] });
  delete config.routes;
  const loaded = validateConfig(config, {});
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.issues.map(formatIssue).slice(0, 5).join('\n'));
  assert.ok(loaded.config.routes.length > 650, `${loaded.config.routes.length} routes`);
  const gw = await startGateway(config);
  try {
    const reply = await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/42`);
    assert.equal(reply.status, 200);
    assert.equal((await gw.logs.accessLine(reply.headers['x-request-id'])).route, 'gh-issues-get');
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/repos/octokit/rest.js/issues/abc`), 400, 'validation.failed')), [['/path/issue_number', 'type']]);
    assertProblem(await httpRequest(`${gw.url}/repos/octokit/rest.js/nonsense/42`), 404, 'route.not_found');
  } finally {
    await gw.close();
    await upstream.close();
  }
});

describe('Figma REST API contract (OpenAPI 3.1)', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'figma', methods: ['GET', 'POST', 'PUT', 'DELETE'], path: '/*', upstream: 'backend', policies: { validate: { contract: FIGMA } } }] }));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('accepts a valid comment and refuses a wrong one with pointers', async () => {
    assert.equal((await httpRequest(`${gw.url}/v1/files/abc123/comments`, json({ message: 'Looks good' }))).status, 200);
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/v1/files/abc123/comments`, json({ message: 42 })), 400, 'validation.failed')), [['/body/message', 'type']]);
    assert.deepEqual(pointers(assertProblem(await httpRequest(`${gw.url}/v1/files/abc123/comments`, json({})), 400, 'validation.failed')), [['/body/message', 'required']]);
    assertProblem(await httpRequest(`${gw.url}/v1/files/abc123/comments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message": "a", "message": "b"}' }), 400, 'validation.failed');
  });
});
