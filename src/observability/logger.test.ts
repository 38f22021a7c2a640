import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogCapture } from '../../test/helpers/index.js';
import { createLogger, redactPath } from './logger.js';

test('redacts credential headers wherever a header map appears in a line, error lines included', () => {
  const capture = new LogCapture();
  const logger = createLogger({ level: 'info', redactHeaders: ['X-Partner-Secret'] }, capture);
  const headers = { authorization: 'Bearer tok_1', cookie: 'sid=tok_2', 'x-api-key': 'tok_3', 'proxy-authorization': 'Basic tok_4', 'x-partner-secret': 'tok_5', accept: 'application/json' };
  logger.info({ type: 'access', headers }, 'request');
  logger.error({ event: 'request.internal_error', err: new Error('boom'), req: { headers }, res: { headers: { 'set-cookie': ['sid=tok_6'] } } }, 'failure');
  logger.flush();
  const text = capture.text();
  for (const secret of ['tok_1', 'tok_2', 'tok_3', 'tok_4', 'tok_5', 'tok_6']) assert.doesNotMatch(text, new RegExp(secret));
  assert.match(text, /application\/json/);
  assert.equal(capture.records[0]!.headers && (capture.records[0]!.headers as Record<string, string>).authorization, '[REDACTED]');
});

test('redacts the values of sensitive query parameters, whatever their case or encoding', () => {
  const sensitive = new Set(['token', 'api_key', 'password']);
  assert.equal(redactPath('/p', '?Token=abc&x=1&api%5Fkey=def&password&a=b=c', sensitive), '/p?Token=[REDACTED]&x=1&api%5Fkey=[REDACTED]&password&a=b=c');
  assert.equal(redactPath('/p', '', sensitive), '/p');
});
