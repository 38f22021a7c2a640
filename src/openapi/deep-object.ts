/**
 * deepObject values (OpenAPI 3.0.3 §4.7.12.4, 3.1 §4.8.12.4): `filter[name]=x`, and the nested
 * bracket form real APIs use in form bodies (`metadata[order_id]=6735`, `items[0][price]=p_1`,
 * `expand[]=a`) as Rails, PHP and qs read it. Names are matched decoded (as those servers do);
 * values are decoded by the caller's decoder. Indices stay object keys here: the coercion step
 * turns `{ "0": …, "1": … }` into a list where the schema wants one (contiguous indices only).
 */
import { setOwn, type Decoder } from './serialization.js';

export type DeepProblem = { tokens: string[]; keyword: string; message: string };

/** `[a][b]` → ['a', 'b']; `[]` → ['']; undefined if the text is not a run of bracketed segments. */
export function bracketSegments(rest: string): string[] | undefined {
  const segments: string[] = [];
  let at = 0;
  while (at < rest.length) {
    if (rest[at] !== '[') return undefined;
    const close = rest.indexOf(']', at);
    if (close === -1) return undefined;
    segments.push(rest.slice(at + 1, close));
    at = close + 1;
  }
  return segments.length > 0 ? segments : undefined;
}

/**
 * Builds the value of a deepObject parameter `name` from every `name[...]` entry. Returns the
 * value (undefined when there is none), the names used, and problems (conflicts, duplicates,
 * forbidden keys, nesting deeper than maxDepth, invalid encoding).
 */
export function collectDeepObject(name: string, entries: ReadonlyMap<string, readonly string[]>, decode: Decoder, maxDepth: number): { value: unknown; used: string[]; problems: DeepProblem[] } {
  const box: Record<string, unknown> = {};
  const used: string[] = [];
  const problems: DeepProblem[] = [];
  const prefix = `${name}[`;
  for (const [key, rawValues] of entries) {
    if (!key.startsWith(prefix)) continue;
    const segments = bracketSegments(key.slice(name.length));
    if (!segments) continue;
    used.push(key);
    const tokens = [name, ...segments];
    if (segments.length > maxDepth) {
      problems.push({ tokens: [name], keyword: 'maxDepth', message: `is nested deeper than ${maxDepth} levels` });
      continue;
    }
    const values: string[] = [];
    for (const raw of rawValues) {
      const value = decode(raw);
      if (value === undefined) problems.push({ tokens, keyword: 'encoding', message: 'is not valid percent-encoding' });
      else values.push(value);
    }
    if (values.length !== rawValues.length) continue;
    const problem = insert(box, segments, values);
    if (problem) problems.push({ tokens, ...problem });
  }
  return { value: box.value, used, problems };
}

/** Puts values at the path of segments under box.value; a problem when the path clashes. */
function insert(box: Record<string, unknown>, segments: readonly string[], values: readonly string[]): { keyword: string; message: string } | undefined {
  let holder: Record<string, unknown> = box;
  let key = 'value';
  let previous: string | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') {
      // `a[]=1&a[]=2`: a list, and only as the last segment (`a[][b]` has no single reading).
      if (i !== segments.length - 1) return { keyword: 'style', message: 'uses [] before the last segment' };
      const current = holder[key];
      if (current === undefined) holder[key] = [...values];
      else if (Array.isArray(current)) current.push(...values);
      else return conflict();
      return undefined;
    }
    if (segment === '__proto__' || (segment === 'prototype' && previous === 'constructor')) return { keyword: 'forbiddenKey', message: 'is a forbidden field name (prototype pollution)' };
    const current = holder[key];
    if (current === undefined) setOwn(holder, key, {});
    else if (typeof current !== 'object' || current === null || Array.isArray(current)) return conflict();
    holder = holder[key] as Record<string, unknown>;
    key = segment;
    previous = segment;
  }
  if (values.length > 1) return { keyword: 'duplicate', message: 'must appear only once' };
  if (holder[key] !== undefined && Object.prototype.hasOwnProperty.call(holder, key)) return conflict();
  holder[key] = values[0];
  return undefined;
}

function conflict(): { keyword: string; message: string } {
  return { keyword: 'duplicate', message: 'is given twice, as a value and as an object or list' };
}
