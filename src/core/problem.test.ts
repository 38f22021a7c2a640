import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError, toGatewayError } from './errors.js';
import { buildProblem } from './problem.js';

test('a 500 never carries the internal message, only the fixed title', () => {
  const error = toGatewayError(new Error('connect to postgres://admin:hunter2@db failed'));
  const problem = buildProblem(error, 'req-1', 'https://example.test/errors/');
  assert.deepEqual(problem, {
    type: 'https://example.test/errors/internal',
    title: 'Internal gateway error',
    status: 500,
    code: 'internal',
    detail: 'Internal gateway error',
    instance: 'req-1',
  });
  assert.doesNotMatch(JSON.stringify(problem), /hunter2/);
});

test('a problem carries the safe detail and extensions, never the internal text', () => {
  const error = new GatewayError('upstream.timeout', { detail: 'The upstream did not answer within 300 ms.', internal: 'socket 10.0.0.5:8080 stalled', extensions: { retryable: false } });
  const problem = buildProblem(error, 'req-2', 'https://example.test/errors/');
  assert.equal(problem.detail, 'The upstream did not answer within 300 ms.');
  assert.equal(problem.retryable, false);
  assert.doesNotMatch(JSON.stringify(problem), /10\.0\.0\.5/);
});

test('extensions cannot overwrite the standard members', () => {
  const error = new GatewayError('route.not_found', { extensions: { status: 200, code: 'ok', instance: 'forged' } });
  const problem = buildProblem(error, 'req-3', 'x:');
  assert.equal(problem.status, 404);
  assert.equal(problem.code, 'route.not_found');
  assert.equal(problem.instance, 'req-3');
});
