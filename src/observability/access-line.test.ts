import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogCapture } from '../../test/helpers/index.js';
import { AccessLineWriter, type AccessRecord } from './access-line.js';
import { createLogger } from './logger.js';

const record = (): AccessRecord => ({
  type: 'access',
  requestId: 'req-1',
  route: 'accounts',
  method: 'GET',
  path: '/accounts/1?q="quoted"\\\u0001\u2028',
  status: 200,
  durationMs: 1.25,
  upstreamMs: undefined,
  bytesOut: 199,
  locationMismatch: { asserted: 'FR', observed: 'DE' },
  consumerId: undefined,
});

test('writes the line a pino logger of createLogger() writes: same fields, order, level and message', () => {
  const viaPino = new LogCapture();
  const viaWriter = new LogCapture();
  createLogger({ level: 'info', redactHeaders: [] }, viaPino).info(record(), 'request');
  new AccessLineWriter(viaWriter, []).write(record());
  const [expected, actual] = [viaPino.lines[0]!, viaWriter.lines[0]!];
  const withoutTime = (line: string) => line.replace(/"time":"[^"]+"/, '"time":""');
  assert.equal(withoutTime(actual), withoutTime(expected));
  assert.ok(!Number.isNaN(Date.parse((JSON.parse(actual) as { time: string }).time)));
});

test('redacts credential headers, built-in and configured, whatever their case in the config, without changing the record', () => {
  const capture = new LogCapture();
  const headers = { authorization: 'Bearer tok_1', cookie: 'sid=tok_2', 'x-api-key': 'tok_3', 'proxy-authorization': 'Basic tok_4', 'x-partner-secret': 'tok_5', 'set-cookie': ['tok_6'], accept: 'application/json' };
  const line = { ...record(), headers };
  new AccessLineWriter(capture, ['X-Partner-Secret']).write(line);
  for (const secret of ['tok_1', 'tok_2', 'tok_3', 'tok_4', 'tok_5', 'tok_6']) assert.doesNotMatch(capture.text(), new RegExp(secret));
  const logged = capture.records[0]!.headers as Record<string, unknown>;
  assert.equal(logged.authorization, '[REDACTED]');
  assert.equal(logged['x-partner-secret'], '[REDACTED]');
  assert.equal(logged.accept, 'application/json');
  assert.equal(line.headers.authorization, 'Bearer tok_1', 'the request\'s own headers are not touched');
});
