/**
 * The redaction operators a field path or a detector applies to a value (issue 20 §3): `remove`
 * (the member or element goes), `mask` (all but the last N characters become `*`), `hash` (keyed
 * HMAC-SHA256, base64url: the same value always gives the same hash under one key, so records can
 * still be joined, yet without the key it cannot be reversed or guessed from a list of candidates),
 * `replace` (a fixed text).
 */
import { createHmac } from 'node:crypto';

export type FieldAction =
  | { readonly action: 'remove' }
  | { readonly action: 'mask'; readonly keepLast: number }
  | { readonly action: 'hash' }
  | { readonly action: 'replace'; readonly with: string };

/** A resolved secret (the config's SecretValue), named by shape: policies do not import config/. */
export interface HashKey {
  reveal(): string;
}

/** Rewrites one value (a string, or a number's text): never called for `remove`. */
export type ValueRewriter = (value: string) => string;

export function rewriterFor(action: Exclude<FieldAction, { action: 'remove' }>, hashKey: HashKey | undefined): ValueRewriter {
  switch (action.action) {
    case 'mask':
      return (value) => maskValue(value, action.keepLast);
    case 'hash': {
      if (hashKey === undefined) throw new Error('a hash operator needs hashKey (the config check refuses this)');
      const key = hashKey.reveal();
      return (value) => createHmac('sha256', key).update(value).digest('base64url');
    }
    case 'replace':
      return () => action.with;
  }
}

/**
 * All but the last `keepLast` characters (code points, so a surrogate pair is never split) as `*`;
 * a value no longer than `keepLast` is masked whole, since keeping it would keep all of it.
 */
export function maskValue(value: string, keepLast: number): string {
  const characters = Array.from(value);
  if (characters.length <= keepLast) return '*'.repeat(characters.length);
  return '*'.repeat(characters.length - keepLast) + characters.slice(characters.length - keepLast).join('');
}
