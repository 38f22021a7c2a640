import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestContext } from './context.js';
import { buildPipeline, runPhase, runRequestPhases } from './pipeline.js';

test('runs phases in their fixed order and, within a phase, by the order table', async () => {
  const calls: string[] = [];
  const handler = (name: string) => () => void calls.push(name);
  const pipeline = buildPipeline([
    { name: 'late-auth', order: 300, handlers: { authenticate: handler('authenticate@300'), respond: handler('respond@300') } },
    { name: 'early', order: 100, handlers: { receive: handler('receive@100'), transform: handler('transform@100'), log: handler('log@100') } },
    { name: 'early-auth', order: 200, handlers: { authenticate: handler('authenticate@200'), respond: handler('respond@200') } },
  ]);
  const ctx = {} as RequestContext;
  await runRequestPhases(pipeline, ctx);
  await runPhase(pipeline.respond, ctx);
  await runPhase(pipeline.log, ctx);
  assert.deepEqual(calls, ['receive@100', 'authenticate@200', 'authenticate@300', 'transform@100', 'respond@200', 'respond@300', 'log@100']);
});

test('stops the request phases at the first direct answer', async () => {
  const calls: string[] = [];
  const pipeline = buildPipeline([
    { name: 'answers', order: 1, handlers: { receive: () => ({ status: 204 }) } },
    { name: 'never', order: 2, handlers: { authenticate: () => void calls.push('never') } },
  ]);
  assert.deepEqual(await runRequestPhases(pipeline, {} as RequestContext), { status: 204 });
  assert.deepEqual(calls, []);
});
