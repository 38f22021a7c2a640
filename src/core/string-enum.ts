/** A config schema helper for policies and the config schema alike; in core, which policies may import. */
import { Type } from '@sinclair/typebox';

/** One of a fixed set of strings, as a plain `enum` (one clear error instead of one per union branch). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number] | T[number][]; description: string }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
