import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { AuditConfig } from '../config/audit-schema.js';
import { SecretValue } from '../config/secret.js';
import { checkpointKeyFromPem, CheckpointKeyError, loadCheckpointKey } from './checkpoint-key.js';
import { checkpointSignatureValid, signCheckpoint } from './checkpoint.js';

const pem = (type: 'ed25519' | 'rsa') => (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519')).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const checkpoint = { everyRecords: 1000, everySeconds: 300 };
/** Only the key options matter here; the rest of the section (sinks, …) is not read. */
const config = (options: object) => options as AuditConfig;

test('a checkpoint key is an Ed25519 key from the environment or a file; its id is the RFC 7638 thumbprint', async () => {
  const text = pem('ed25519');
  const fromEnv = await loadCheckpointKey(config({ signingKey: new SecretValue(text, '${env:K}'), checkpoint }));
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-ckey-')), 'k.pem');
  writeFileSync(file, text, { mode: 0o600 });
  const fromFile = await loadCheckpointKey(config({ signingKeyFile: file, checkpoint }));
  assert.equal(fromEnv!.keyId, fromFile!.keyId);
  assert.equal(fromEnv!.keyId, await calculateJwkThumbprint(await exportJWK(fromEnv!.privateKey), 'sha256'));
  assert.equal(await loadCheckpointKey(config({ checkpoint })), undefined, 'none configured: no checkpoints');
});

test('refuses an RSA key, a PEM that is not a key, and both options at once, never echoing the key', async () => {
  const rsa = pem('rsa');
  await assert.rejects(checkpointKeyFromPem(rsa, 'audit.signingKey'), (error: Error) => error instanceof CheckpointKeyError && /must be an Ed25519 key/.test(error.message) && !error.message.includes('PRIVATE'));
  await assert.rejects(checkpointKeyFromPem('not a key', 'audit.signingKey'), /not a PKCS#8 PEM private key/);
  await assert.rejects(loadCheckpointKey(config({ signingKey: new SecretValue(pem('ed25519'), '${env:K}'), signingKeyFile: '/x', checkpoint })), /give one of them/);
});

test('a checkpoint signature covers every field: changing any one fails it', async () => {
  const key = await checkpointKeyFromPem(pem('ed25519'), 'test');
  const signed = signCheckpoint({ v: 1, fromSeq: 1, toSeq: 9, lastHash: 'a'.repeat(64), time: '2026-11-30T00:00:00.000Z', keyId: key.keyId, previousSignature: '' }, key);
  assert.ok(checkpointSignatureValid(signed, key.publicKeyPem));
  for (const change of [{ fromSeq: 2 }, { toSeq: 8 }, { lastHash: 'b'.repeat(64) }, { time: '2026-11-30T00:00:01.000Z' }, { previousSignature: 'x' }]) {
    assert.equal(checkpointSignatureValid({ ...signed, ...change }, key.publicKeyPem), false, JSON.stringify(change));
  }
});
