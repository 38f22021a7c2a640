/**
 * Signed checkpoints over the audit chain (docs/audit.md#the-algorithm): the signed body is the
 * RFC 8785 canonical JSON of `{ v, fromSeq, toSeq, lastHash, time, keyId, previousSignature }`,
 * signed with Ed25519 (RFC 8032); the signature is base64url (RFC 4648 §5). Each checkpoint names
 * the previous one's signature, so checkpoints chain like records do.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import { canonicalJson } from '../store/audit-record.js';
import type { CheckpointKey } from './checkpoint-key.js';

export const CHECKPOINT_VERSION = 1;

/** What a checkpoint signs. */
export interface CheckpointBody {
  readonly v: typeof CHECKPOINT_VERSION;
  readonly fromSeq: number;
  readonly toSeq: number;
  /** The `hash` of record `toSeq`. */
  readonly lastHash: string;
  /** RFC 3339 UTC. */
  readonly time: string;
  readonly keyId: string;
  /** The previous checkpoint's signature; '' for the first. */
  readonly previousSignature: string;
}

/** A checkpoint as exported (checkpoints.jsonl): its body and signature. */
export interface SignedCheckpoint extends CheckpointBody {
  readonly signature: string;
}

/** One public key of the trail (keys.json). */
export interface PublicCheckpointKey {
  readonly keyId: string;
  readonly algorithm: 'Ed25519';
  /** SPKI PEM. */
  readonly publicKey: string;
}

/** The exact bytes a checkpoint's signature covers. */
export function checkpointSigningInput(body: CheckpointBody): string {
  const { v, fromSeq, toSeq, lastHash, time, keyId, previousSignature } = body;
  return canonicalJson({ v, fromSeq, toSeq, lastHash, time, keyId, previousSignature });
}

export function signCheckpoint(body: CheckpointBody, key: CheckpointKey): SignedCheckpoint {
  if (body.keyId !== key.keyId) throw new Error('the checkpoint names another key');
  // Ed25519 takes no digest algorithm (null): it hashes internally (RFC 8032 §5.1.6).
  const signature = sign(null, Buffer.from(checkpointSigningInput(body), 'utf8'), key.privateKey).toString('base64url');
  return { ...body, signature };
}

/** Whether `checkpoint`'s signature verifies with `publicKeyPem`. False for anything malformed. */
export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKeyPem: string): boolean {
  try {
    const publicKey = createPublicKey({ key: publicKeyPem, format: 'pem' });
    if (publicKey.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(checkpointSigningInput(checkpoint), 'utf8'), publicKey, Buffer.from(checkpoint.signature, 'base64url'));
  } catch {
    return false;
  }
}
