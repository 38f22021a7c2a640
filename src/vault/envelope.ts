/**
 * Envelope encryption: each plaintext gets its own random 256-bit data key (AES-256-GCM, random
 * nonce, aead.ts); the data key is wrapped by the ring's current KEK. What is stored is the KEK id,
 * the wrapped data key and the ciphertext.
 *
 * Two AADs bind an envelope to its place (issue 19 §1):
 * - the ciphertext's AAD is the record binding (for a vault secret: its id, version and field;
 *   for a sealed value: what its caller passes), so a ciphertext moved to another row is refused;
 * - the wrap's AAD adds the KEK id, so a wrapped key cannot be passed off as another KEK's.
 * A re-wrap (KEK rotation) needs the binding but never decrypts the ciphertext.
 */
import { randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal, KEY_BYTES, VaultIntegrityError } from './aead.js';
import type { KekRing } from './kek.js';

export interface Envelope {
  readonly kekId: string;
  readonly wrappedKey: string;
  readonly ciphertext: string;
}

const CONTEXT = 'portcullis vault v1';

function valueAad(binding: string): Buffer {
  return Buffer.from(`${CONTEXT}|value|${binding}`, 'utf8');
}

function wrapAad(binding: string, kekId: string): Buffer {
  return Buffer.from(`${CONTEXT}|wrap|kek=${kekId}|${binding}`, 'utf8');
}

export async function seal(ring: KekRing, plaintext: Buffer, binding: string): Promise<Envelope> {
  const dataKey = randomBytes(KEY_BYTES);
  try {
    const ciphertext = aeadSeal(dataKey, plaintext, valueAad(binding));
    const kek = ring.current;
    return { kekId: kek.id, wrappedKey: await kek.wrap(dataKey, wrapAad(binding, kek.id)), ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

export async function open(ring: KekRing, envelope: Envelope, binding: string): Promise<Buffer> {
  const dataKey = await unwrapKey(ring, envelope, binding);
  try {
    return aeadOpen(dataKey, envelope.ciphertext, valueAad(binding));
  } finally {
    dataKey.fill(0);
  }
}

/** The same envelope with its data key wrapped by the ring's current KEK (unchanged if it is already). */
export async function rewrap(ring: KekRing, envelope: Envelope, binding: string): Promise<Envelope> {
  const kek = ring.current;
  if (envelope.kekId === kek.id) return envelope;
  const dataKey = await unwrapKey(ring, envelope, binding);
  try {
    return { kekId: kek.id, wrappedKey: await kek.wrap(dataKey, wrapAad(binding, kek.id)), ciphertext: envelope.ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

async function unwrapKey(ring: KekRing, envelope: Envelope, binding: string): Promise<Buffer> {
  const kek = ring.byId(envelope.kekId);
  if (!kek) throw new VaultIntegrityError(`sealed under KEK ${envelope.kekId}, which this node does not have (configure it in vault.previousKeks until rotate-kek is done)`);
  return kek.unwrap(envelope.wrappedKey, wrapAad(binding, envelope.kekId));
}

/**
 * One envelope as one string, for values stored by other modules in a column of their own
 * (outbound tokens, OAuth signing keys): `pv1:<kekId>:<wrappedKey>:<ciphertext>`.
 */
export function packEnvelope(envelope: Envelope): string {
  return ['pv1', envelope.kekId, envelope.wrappedKey, envelope.ciphertext].join(':');
}

export function unpackEnvelope(packed: string): Envelope {
  const parts = packed.split(':');
  if (parts.length !== 4 || parts[0] !== 'pv1') throw new VaultIntegrityError('not a sealed vault value');
  return { kekId: parts[1]!, wrappedKey: parts[2]!, ciphertext: parts[3]! };
}

export function isPackedEnvelope(text: string): boolean {
  return text.startsWith('pv1:');
}
