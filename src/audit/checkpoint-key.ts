/**
 * The key that signs audit checkpoints (docs/audit.md#the-algorithm): an Ed25519 private key
 * (RFC 8032) in PKCS#8 PEM from `audit.signingKey` (`${env:NAME}`) or `audit.signingKeyFile`. Its
 * key id is the RFC 7638 JWK thumbprint of the public key, so a verifier can name the key without
 * trusting anything but the public key itself.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint } from 'jose';
import type { AuditConfig } from '../config/audit-schema.js';

export interface CheckpointKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** SPKI PEM: what is published and kept in `audit_keys`. */
  readonly publicKeyPem: string;
}

export class CheckpointKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointKeyError';
  }
}

/** The key of the config, or undefined when none is configured (no checkpoints are made then). */
export async function loadCheckpointKey(config: AuditConfig): Promise<CheckpointKey | undefined> {
  if (config.signingKey && config.signingKeyFile) throw new CheckpointKeyError('audit.signingKey and audit.signingKeyFile: give one of them');
  if (config.signingKey) return checkpointKeyFromPem(config.signingKey.reveal(), 'audit.signingKey');
  if (config.signingKeyFile) {
    let pem: string;
    try {
      pem = readFileSync(config.signingKeyFile, 'utf8');
    } catch (error) {
      throw new CheckpointKeyError(`audit.signingKeyFile: cannot read ${config.signingKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return checkpointKeyFromPem(pem, 'audit.signingKeyFile');
  }
  return undefined;
}

/** `source` names where the PEM came from in the error (never the PEM itself). */
export async function checkpointKeyFromPem(pem: string, source: string): Promise<CheckpointKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new CheckpointKeyError(`${source} is not a PKCS#8 PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointKeyError(`${source} must be an Ed25519 key (it is ${privateKey.asymmetricKeyType ?? 'not asymmetric'})`);
  const publicKey = createPublicKey(privateKey);
  return { keyId: await publicKeyId(publicKey), privateKey, publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key. */
export async function publicKeyId(publicKey: KeyObject): Promise<string> {
  const jwk = publicKey.export({ format: 'jwk' });
  return calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }, 'sha256');
}
