/**
 * A KEK inside a PKCS#11 token (an HSM; SoftHSM2 in the tests): a sensitive, non-extractable
 * AES-256 secret key found by its label, which wraps and unwraps data keys with CKM_AES_GCM inside
 * the token (PKCS#11 v2.40 §2.12.3: 96-bit IV from node:crypto, the same AAD a LocalKek binds,
 * 128-bit tag). The key's bytes never reach this process, so a memory dump of a node holds no KEK.
 *
 * The binding (`pkcs11js`) compiles at install, so it is an optional dependency, loaded only when a
 * config names `source: pkcs11`. Its calls used here are synchronous: one Init+Encrypt (or Decrypt)
 * pair runs without yielding, so the one session per token is never used by two operations at once.
 * A token is opened and logged in once per process (PKCS#11 login state is per application and
 * token) and finalized at exit. Wrapped text is `<iv>.<ciphertext>.<tag>`, base64url, as aead.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Pkcs11Api, Pkcs11Binding, Pkcs11GcmParams, Pkcs11Mechanism } from './pkcs11-binding.js';
import { VaultIntegrityError } from './aead.js';
import type { Kek } from './kek.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Pkcs11KekOptions {
  /** Path of the token's PKCS#11 library (`/usr/lib/softhsm/libsofthsm2.so`). */
  readonly module: string;
  /** The token's label (CKA token info `label`, as given to `softhsm2-util --init-token --label`). */
  readonly tokenLabel: string;
  /** The user PIN; never logged, never in an error. */
  readonly pin: string;
  /** CKA_LABEL of the AES-256 secret key. */
  readonly keyLabel: string;
}

interface Token {
  readonly pkcs11: Pkcs11Api;
  readonly lib: Pkcs11Binding;
  readonly session: Buffer;
  readonly serial: string;
  /** SHA-256 of the PIN it was logged in with: a second config naming the token must know it too. */
  readonly pinHash: Buffer;
}

export class Pkcs11Kek implements Kek {
  readonly source = 'pkcs11';
  readonly id: string;
  readonly #token: Token;
  readonly #key: Buffer;

  /** Throws Pkcs11Error when the binding, module, token, PIN or key is not there (message names which, never the PIN). */
  constructor(options: Pkcs11KekOptions) {
    this.#token = openToken(options);
    this.#key = findKey(this.#token, options.keyLabel);
    // From where the key lives, not from its bytes (which cannot be read): the same token serial
    // and key label give the same id on every node that holds the token (or a clone of its key).
    this.id = `kek-${createHash('sha256').update(`portcullis vault pkcs11 kek id v1\0${this.#token.serial}\0${options.keyLabel}`).digest('hex').slice(0, 16)}`;
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const { pkcs11, session } = this.#token;
    pkcs11.C_EncryptInit(session, this.#mechanism(iv, aad), this.#key);
    const sealed = pkcs11.C_Encrypt(session, dataKey, Buffer.alloc(dataKey.length + TAG_BYTES));
    const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
    return [iv, ciphertext, sealed.subarray(sealed.length - TAG_BYTES)].map((part) => Buffer.from(part).toString('base64url')).join('.');
  }

  /** Throws VaultIntegrityError when the token refuses the tag (wrong AAD, another key, tampered); Pkcs11Error when the token fails otherwise. */
  async unwrap(wrapped: string, aad: Buffer): Promise<Buffer> {
    const parts = wrapped.split('.');
    if (parts.length !== 3) throw new VaultIntegrityError('not a sealed value');
    const [iv, ciphertext, tag] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new VaultIntegrityError('not a sealed value (nonce or tag length)');
    const { pkcs11, session } = this.#token;
    pkcs11.C_DecryptInit(session, this.#mechanism(iv, aad), this.#key);
    try {
      return Buffer.from(pkcs11.C_Decrypt(session, Buffer.concat([ciphertext, tag]), Buffer.alloc(ciphertext.length + TAG_BYTES)));
    } catch (error) {
      // A GCM tag mismatch: CKR_ENCRYPTED_DATA_INVALID by the standard; SoftHSM2 answers CKR_GENERAL_ERROR.
      if (/CKR_(ENCRYPTED_DATA_INVALID|ENCRYPTED_DATA_LEN_RANGE|GENERAL_ERROR|FUNCTION_FAILED)/.test((error as Error).message)) {
        throw new VaultIntegrityError('authentication failed: wrong key, or the ciphertext is not the one stored for this record');
      }
      throw new Pkcs11Error(`the token refused to unwrap: ${ckr(error)}`);
    }
  }

  #mechanism(iv: Buffer, aad: Buffer): Pkcs11Mechanism {
    const { lib } = this.#token;
    const parameter: Pkcs11GcmParams = { type: lib.CK_PARAMS_AES_GCM, iv, ivBits: IV_BYTES * 8, aad, tagBits: TAG_BYTES * 8 };
    return { mechanism: lib.CKM_AES_GCM, parameter };
  }
}

/** The HSM cannot be used as configured: no binding, no module, no token, a wrong PIN, no key. */
export class Pkcs11Error extends Error {
  override readonly name = 'Pkcs11Error';
}

const tokens = new Map<string, Token>();
const modules = new Map<string, { pkcs11: Pkcs11Api; lib: Pkcs11Binding }>();

function loadBinding(): Pkcs11Binding {
  try {
    return createRequire(import.meta.url)('pkcs11js') as Pkcs11Binding;
  } catch (error) {
    throw new Pkcs11Error(`source pkcs11 needs the optional dependency pkcs11js, which is not installed or did not compile (${(error as NodeJS.ErrnoException).code ?? 'load failed'}): install it with \`npm install pkcs11js@2.1.7\` (needs python3, make and g++)`);
  }
}

function loadModule(path: string): { pkcs11: Pkcs11Api; lib: Pkcs11Binding } {
  const known = modules.get(path);
  if (known) return known;
  const lib = loadBinding();
  const pkcs11 = new lib.PKCS11();
  try {
    pkcs11.load(path);
  } catch (error) {
    throw new Pkcs11Error(`cannot load the PKCS#11 module ${path}: ${ckr(error)}`);
  }
  try {
    pkcs11.C_Initialize();
  } catch (error) {
    // Another library of this process initialized the module first: it stays theirs to finalize.
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test((error as Error).message)) throw new Pkcs11Error(`cannot initialize the PKCS#11 module ${path}: ${ckr(error)}`);
  }
  const loaded = { pkcs11, lib };
  modules.set(path, loaded);
  if (modules.size === 1) process.once('exit', finalizeAll);
  return loaded;
}

function openToken(options: Pkcs11KekOptions): Token {
  const cacheKey = `${options.module}\0${options.tokenLabel}`;
  const known = tokens.get(cacheKey);
  const pinHash = createHash('sha256').update(options.pin).digest();
  if (known) {
    // The token is logged in for the whole process: a wrong PIN must not ride on that login.
    if (!timingSafeEqual(known.pinHash, pinHash)) throw new Pkcs11Error(`token "${options.tokenLabel}" is open in this process with another PIN`);
    return known;
  }
  const { pkcs11, lib } = loadModule(options.module);
  const slots = pkcs11.C_GetSlotList(true);
  const found = slots.map((slot) => ({ slot, info: pkcs11.C_GetTokenInfo(slot) })).find(({ info }) => info.label.trim() === options.tokenLabel);
  if (!found) throw new Pkcs11Error(`no token labelled "${options.tokenLabel}" in ${options.module} (${slots.length} token(s) present)`);
  const session = pkcs11.C_OpenSession(found.slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
  try {
    pkcs11.C_Login(session, lib.CKU_USER, options.pin);
  } catch (error) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test((error as Error).message)) {
      pkcs11.C_CloseSession(session);
      throw new Pkcs11Error(`token "${options.tokenLabel}" refused the login: ${ckr(error)}`);
    }
  }
  const token = { pkcs11, lib, session, serial: found.info.serialNumber.trim(), pinHash };
  tokens.set(cacheKey, token);
  return token;
}

function findKey(token: Token, label: string): Buffer {
  const { pkcs11, lib, session } = token;
  pkcs11.C_FindObjectsInit(session, [
    { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
    { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
    { type: lib.CKA_LABEL, value: label },
  ]);
  const found = pkcs11.C_FindObjects(session, 2);
  pkcs11.C_FindObjectsFinal(session);
  if (found.length !== 1) throw new Pkcs11Error(found.length === 0 ? `no AES key labelled "${label}" in the token` : `more than one AES key labelled "${label}" in the token`);
  const key = found[0]!;
  const [length, sensitive, extractable] = pkcs11.C_GetAttributeValue(session, key, [{ type: lib.CKA_VALUE_LEN }, { type: lib.CKA_SENSITIVE }, { type: lib.CKA_EXTRACTABLE }]);
  // A KEK whose bytes could leave the token would be no better than one in a file.
  if ((length?.value as Buffer).readUInt32LE(0) !== 32) throw new Pkcs11Error(`the key "${label}" is not AES-256`);
  if (!(sensitive?.value as Buffer)[0] || (extractable?.value as Buffer)[0]) throw new Pkcs11Error(`the key "${label}" must be sensitive and not extractable (CKA_SENSITIVE true, CKA_EXTRACTABLE false)`);
  return key;
}

/** The CKR_ name of a PKCS#11 error (pkcs11js: "CKR_PIN_INCORRECT:160"); never the arguments. */
function ckr(error: unknown): string {
  return /CKR_[A-Z_]+/.exec((error as Error).message)?.[0] ?? (error as Error).message.split('\n')[0]!;
}

function finalizeAll(): void {
  for (const { pkcs11, session } of tokens.values()) {
    try {
      pkcs11.C_Logout(session);
      pkcs11.C_CloseSession(session);
    } catch {
      // At exit: the token goes away with the process either way.
    }
  }
  for (const { pkcs11 } of modules.values()) {
    try {
      pkcs11.C_Finalize();
    } catch {
      // As above.
    }
  }
}
