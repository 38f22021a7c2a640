/**
 * Admin users' passwords (NIST SP 800-63B §5.1.1.2): at least 12 characters, at most 256 (a bound
 * on hashing work, far above what a password manager makes), checked against a list of commonly
 * used passwords and against the user's own name and email; no composition rules, no expiry.
 * Stored as argon2id (RFC 9106) with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane) through
 * @node-rs/argon2, whose hash is a PHC string carrying its own salt and parameters. The native
 * module and the list are loaded on first use: a gateway nobody signs in to never loads them.
 */
import { randomUUID } from 'node:crypto';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id (the library's `Algorithm.Argon2id`, a const enum erased at compile time). */
const ARGON2ID = 2;
const COST = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const argon2 = () => import('@node-rs/argon2');

/** A password refused by the policy; the message says why, never the password. */
export class PasswordPolicyError extends Error {}

let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/**
 * The common-password list: the ~49 000 passwords of zxcvbn-ts's common dictionary (from leaked
 * password corpora), loaded on first use so the gateway does not pay for it at start.
 */
function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => new Set((dictionary['passwords-common'] as readonly (string | number)[]).map((entry) => String(entry).toLowerCase())));
  return commonPasswords;
}

/** Throws PasswordPolicyError when `password` may not be used by the user named `context`. */
export async function checkPasswordPolicy(password: string, context: { name?: string | undefined; email?: string | undefined } = {}): Promise<void> {
  // Characters, not UTF-16 units: NIST counts each Unicode character as one (§5.1.1.2).
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw new PasswordPolicyError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) throw new PasswordPolicyError(`a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.normalize('NFKC').toLowerCase();
  if ((await loadCommonPasswords()).has(lower)) throw new PasswordPolicyError('this password is on the list of commonly used passwords: choose another');
  const own = [context.name, context.email, context.email?.split('@')[0]].filter((part): part is string => part !== undefined && part.length >= 4).map((part) => part.toLowerCase());
  if (own.some((part) => lower.includes(part))) throw new PasswordPolicyError('a password may not contain the user\'s name or email');
  if (/^(.)\1*$/u.test(lower)) throw new PasswordPolicyError('a password may not be one character repeated');
}

/** The argon2id PHC string of `password`. */
export async function hashPassword(password: string): Promise<string> {
  // NFKC so the same password typed on two keyboards verifies (NIST §5.1.1.2 recommends it).
  return (await argon2()).hash(password.normalize('NFKC'), COST);
}

/** A hash of a password nobody knows: verified against when the user is unknown, so timing says nothing. */
let dummyHash: Promise<string> | undefined;

/**
 * Whether `password` matches `stored`. With `stored` undefined (no such user, or no password yet)
 * a dummy hash is verified instead and false returned, so the answer takes as long as for a
 * known user with a wrong password.
 */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH * 4) return false;
  const candidate = password.normalize('NFKC');
  const { verify } = await argon2();
  if (stored === null || stored === undefined) {
    dummyHash ??= hashPassword(randomUUID());
    await verify(await dummyHash, candidate).catch(() => false);
    return false;
  }
  return verify(stored, candidate).catch(() => false);
}
