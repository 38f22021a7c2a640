/**
 * Key-encryption keys (KEKs). A KEK never encrypts a secret: it wraps the data key each secret
 * version (or sealed value) was encrypted with, so replacing the KEK re-wraps 32-byte data keys and
 * never touches a ciphertext (rotate-kek.ts). A node holds a ring: the *current* KEK wraps every
 * new data key; *previous* KEKs only unwrap, during a rotation, until every data key is re-wrapped.
 *
 * Each KEK has a stable id, stored beside every data key it wrapped and bound into that wrap's
 * AAD, so a data key cannot be presented as wrapped by another KEK.
 */
import { createHmac } from 'node:crypto';
import { aeadOpen, aeadSeal, KEY_BYTES } from './aead.js';

export interface Kek {
  /** Stable and not secret: `kek-` and hex, stored beside each wrapped key. */
  readonly id: string;
  /** Where it comes from, for logs and `vault status`: env, file, pkcs11. */
  readonly source: string;
  wrap(dataKey: Buffer, aad: Buffer): Promise<string>;
  unwrap(wrapped: string, aad: Buffer): Promise<Buffer>;
}

/** A KEK held in this process's memory (from an environment variable or a file): AES-256-GCM key wrap. */
export class LocalKek implements Kek {
  readonly #key: Buffer;
  readonly id: string;

  constructor(key: Buffer, readonly source: string, id?: string) {
    if (key.length !== KEY_BYTES) throw new Error(`a KEK is ${KEY_BYTES} random bytes (base64: 44 characters, from \`openssl rand -base64 32\`); this one has ${key.length}`);
    this.#key = Buffer.from(key);
    // Derived from the key by a one-way function: the same key has the same id on every node, and
    // the id tells nothing about the key.
    this.id = id ?? `kek-${createHmac('sha256', this.#key).update('portcullis vault kek id v1').digest('hex').slice(0, 16)}`;
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<string> {
    return aeadSeal(this.#key, dataKey, aad);
  }

  async unwrap(wrapped: string, aad: Buffer): Promise<Buffer> {
    return aeadOpen(this.#key, wrapped, aad);
  }
}

/** The KEKs of a node: one current (wraps), any previous (unwrap only). */
export class KekRing {
  readonly #byId = new Map<string, Kek>();

  constructor(
    readonly current: Kek,
    previous: readonly Kek[] = [],
  ) {
    for (const kek of [current, ...previous]) {
      if (this.#byId.has(kek.id)) throw new Error(`KEK ${kek.id} is configured twice`);
      this.#byId.set(kek.id, kek);
    }
  }

  byId(id: string): Kek | undefined {
    return this.#byId.get(id);
  }

  get ids(): string[] {
    return [...this.#byId.keys()];
  }
}
