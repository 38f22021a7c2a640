/**
 * Builds a node's KEK ring from the `vault` config section: the current KEK and the decrypt-only
 * previous ones, each from an environment variable (`${env:NAME}`, base64), a file (base64), or an
 * AES-256 key inside a PKCS#11 token (pkcs11-kek.ts).
 * Generate one with `openssl rand -base64 32` (docs/vault.md). A malformed KEK stops the start
 * with a message that names where it came from, never its bytes.
 */
import { readFileSync } from 'node:fs';
import type { KekConfig, VaultConfig } from '../config/vault-schema.js';
import { KekRing, LocalKek, type Kek } from './kek.js';
import { Pkcs11Error, Pkcs11Kek } from './pkcs11-kek.js';

export function kekRing(config: VaultConfig): KekRing {
  return new KekRing(
    kekFrom(config.kek, 'vault.kek'),
    config.previousKeks.map((kek, index) => kekFrom(kek, `vault.previousKeks[${index}]`)),
  );
}

function kekFrom(config: KekConfig, at: string): Kek {
  if (config.source === 'pkcs11') return pkcs11Kek(config, at);
  if (config.source === 'env') {
    if (!config.key) throw new KekConfigError(`${at}.key is required with source env (a \${env:NAME} reference to the base64 KEK)`);
    return new LocalKek(decode(config.key.reveal(), `${at}.key (${config.key.reference})`), 'env');
  }
  if (!config.file) throw new KekConfigError(`${at}.file is required with source file`);
  let text: string;
  try {
    text = readFileSync(config.file, 'utf8');
  } catch (error) {
    throw new KekConfigError(`${at}.file: cannot read ${config.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return new LocalKek(decode(text, `${at}.file (${config.file})`), 'file');
}

function pkcs11Kek(config: KekConfig, at: string): Kek {
  const { module, tokenLabel, pin, keyLabel } = config;
  const absent = (['module', 'tokenLabel', 'pin', 'keyLabel'] as const).filter((field) => !config[field]);
  if (absent.length > 0 || !module || !tokenLabel || !pin || !keyLabel) throw new KekConfigError(`${at}: source pkcs11 needs ${absent.map((field) => `${at}.${field}`).join(', ')}`);
  try {
    return new Pkcs11Kek({ module, tokenLabel, pin: pin.reveal(), keyLabel });
  } catch (error) {
    // Pkcs11Error messages name the module, token or key and the CKR_ code, never the PIN.
    if (error instanceof Pkcs11Error) throw new KekConfigError(`${at} (pkcs11): ${error.message}`);
    throw error;
  }
}

function decode(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  // Strict: Buffer.from ignores junk, so check the text round-trips.
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) {
    throw new KekConfigError(`${where} is not a KEK: expected base64 of 32 random bytes (openssl rand -base64 32)`);
  }
  return key;
}

export class KekConfigError extends Error {
  override readonly name = 'KekConfigError';
}
