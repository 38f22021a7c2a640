/** A fresh Ed25519 checkpoint key for audit tests. */
import { generateKeyPairSync } from 'node:crypto';
import { checkpointKeyFromPem, type CheckpointKey } from '../../src/audit/checkpoint-key.js';

export async function newCheckpointKey(): Promise<CheckpointKey> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return checkpointKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'test');
}
