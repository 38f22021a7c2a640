/** The 415 problem names each accepted media type once (issue 12 §5), in its detail and its Accept-Post. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeContract } from './helpers/contracts.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';

const CONTRACT = `openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /things:
    post:
      requestBody:
        required: true
        content:
          application/json: { schema: { type: object } }
          application/json; charset=utf-8: { schema: { type: object } }
          Application/JSON: { schema: { type: object } }
          application/x-www-form-urlencoded: { schema: { type: object } }
      responses: { '201': { description: created } }
`;

test('a 415 lists each accepted media type once, however often the contract declares it', async () => {
  const upstream = await startUpstream();
  const gw = await startGateway(baseConfig([upstream.url], { routes: [{ name: 'things', methods: ['POST'], path: '/things', upstream: 'backend', policies: { validate: { contract: writeContract(CONTRACT, 'media.yaml') } } }] }));
  try {
    const reply = await httpRequest(`${gw.url}/things`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const problem = assertProblem(reply, 415, 'request.unsupported_media_type');
    assert.equal(problem.detail, 'Send the body as application/json or application/x-www-form-urlencoded.');
    assert.equal(reply.headers['accept-post'], 'application/json, application/x-www-form-urlencoded');
  } finally {
    await gw.close();
    await upstream.close();
  }
});
