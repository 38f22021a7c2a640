import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretValue } from '../config/secret.js';
import { collectSecrets, crashLine, redactText } from './crash-report.js';

test('collects every secret of a config, and the password of a secret URL on its own', () => {
  const config = { store: { url: new SecretValue('postgres://gw:p%40ss-word@db/x', '${env:DB}') }, apiKeys: { pepper: new SecretValue('pepper-value-0123456789', '${env:P}') }, list: [{ token: new SecretValue('tok', '${env:T}') }] };
  assert.deepEqual(collectSecrets(config), ['postgres://gw:p%40ss-word@db/x', 'pepper-value-0123456789', 'p@ss-word']);
});

test('redacts URL passwords, bearer and basic credentials, API keys and JWTs even when they are not config secrets', () => {
  const text = 'connect postgres://user:hunter2@db:5432/x failed; Authorization: Bearer abc.def-ghi; Basic dXNlcjpwYXNz; key ptc_live_AbCdEfGh0123456789abcdefghijklmn_Zx9Yw8; jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  const out = redactText(text, []);
  for (const secret of ['hunter2', 'abc.def-ghi', 'dXNlcjpwYXNz', 'ptc_live_AbCdEfGh', 'eyJhbGciOiJIUzI1NiJ9']) assert.equal(out.includes(secret), false, secret);
  assert.match(out, /postgres:\/\/user:\[REDACTED\]@db:5432\/x/);
});

test('a crash line is one JSON line with the class, code, message and frames only: never the error\'s own properties', () => {
  const error = Object.assign(new Error('boom with pepper-value-0123456789'), { code: 'EBOOM', client: { password: 'client-password' } });
  const line = crashLine('uncaughtException', error, ['pepper-value-0123456789']);
  assert.equal(line.endsWith('\n'), true);
  assert.equal(line.trim().includes('\n'), false);
  const record = JSON.parse(line) as { event: string; error: { name: string; code: string; message: string }; stack: string[] };
  assert.equal(record.event, 'process.crashed');
  assert.deepEqual(record.error, { name: 'Error', code: 'EBOOM', message: 'boom with [REDACTED]' });
  assert.ok(record.stack.length > 0 && record.stack.every((frame) => frame.startsWith('at ')));
  assert.equal(line.includes('client-password'), false);
});

test('a rejection with a non-error value is named by its type, never dumped', () => {
  const record = JSON.parse(crashLine('unhandledRejection', { password: 'object-password' }, [])) as { error: { name: string; message: string } };
  assert.deepEqual(record.error, { name: 'object', message: 'a object was thrown' });
});
