/**
 * Turns the raw strings of a request (path segments, query, headers, cookies, form fields) into the
 * values an operation's parameter schemas describe, following the OpenAPI serialization styles
 * (OpenAPI 3.0.3 §4.7.12.4, 3.1 §4.8.12.4: matrix, label, form, simple, spaceDelimited,
 * pipeDelimited, deepObject). Values are split on their raw delimiters and then decoded
 * (serialization.ts); they stay strings here, and coerce.ts types them strictly by the schema. A
 * parameter that is not a list but appears twice is refused (HTTP parameter pollution: the
 * gateway and the upstream could read different ones).
 */
import type { ParameterLocation } from './openapi-document.js';
import { truncateToken, parseJsonSafely, type JsonLimits } from './safe-json.js';
import { collectDeepObject } from './deep-object.js';
import { splitSerialized, type Decoder } from './serialization.js';

export type Shape = 'array' | 'object' | 'scalar';

export interface ParameterSpec {
  readonly name: string;
  /** Lower-case for headers, as Node presents them. */
  readonly key: string;
  readonly in: ParameterLocation;
  readonly style: string;
  readonly explode: boolean;
  /** How the value is serialized: a list, an object, or one value (the schema's first typed branch). */
  readonly shape: Shape;
  /** The schema also allows a plain value where the shape is an object or a list (`anyOf: [object, integer]`). */
  readonly scalarToo: boolean;
  /** The value is a JSON document (`content: application/json`, or a form field's `contentType`). */
  readonly json: boolean;
  /** For form-exploded objects: the property names that are query keys of their own. */
  readonly objectKeys: readonly string[];
}

export interface RequestProblem {
  pointer: string;
  keyword: string;
  message: string;
}

export function pointerFor(location: string, ...tokens: string[]): string {
  return `/${location}${tokens.map((token) => `/${truncateToken(token).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`;
}

/**
 * Cookie header (RFC 6265 §5.4) → name → values. Names and values are trimmed of SP and HTAB only
 * (RFC 6265 §5.2): a value padded with other whitespace (NBSP, U+2028, a BOM) is read with it, as
 * the upstream reads it.
 */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (!header) return found;
  const trim = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, '');
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = trim(pair.slice(0, eq));
    let value = trim(pair.slice(eq + 1));
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    const list = found.get(name);
    if (list) list.push(value);
    else found.set(name, [value]);
  }
  return found;
}

export interface CollectContext {
  readonly location: string;
  readonly decode: Decoder;
  readonly limits: JsonLimits;
  readonly problems: RequestProblem[];
  /** The names this call used, to tell unknown query parameters and form fields apart. */
  readonly consumed: Set<string>;
}

/**
 * Collects the declared query-style parameters (query, cookie, form fields) from name → raw values.
 * Returns the object of (still untyped) values to check.
 */
export function collectNamed(specs: readonly ParameterSpec[], values: ReadonlyMap<string, readonly string[]>, context: CollectContext): Record<string, unknown> {
  const { location, problems, consumed } = context;
  const out: Record<string, unknown> = {};
  const duplicate = (...tokens: string[]) => problems.push({ pointer: pointerFor(location, ...tokens), keyword: 'duplicate', message: 'must appear only once' });
  for (const spec of specs) {
    if (spec.style === 'deepObject') {
      const deep = collectDeepObject(spec.name, values, context.decode, context.limits.maxDepth);
      for (const name of deep.used) consumed.add(name);
      for (const problem of deep.problems) problems.push({ pointer: pointerFor(location, ...problem.tokens), keyword: problem.keyword, message: problem.message });
      // Sent without brackets (`?created=abc`): still this parameter, checked as what it is (a
      // scalar where the schema allows one, else a type error), never skipped.
      const plain = values.get(spec.name);
      if (plain !== undefined) {
        consumed.add(spec.name);
        if (plain.length > 1 || deep.value !== undefined) duplicate(spec.name);
        else setValue(out, { ...spec, shape: 'scalar' }, plain[0]!, context);
      } else if (deep.value !== undefined) out[spec.name] = deep.value;
      continue;
    }
    if (spec.shape === 'object' && spec.explode && spec.style === 'form') {
      const object: Record<string, unknown> = {};
      let any = false;
      for (const property of spec.objectKeys) {
        const list = values.get(property);
        if (!list) continue;
        consumed.add(property);
        any = true;
        if (list.length > 1) duplicate(spec.name, property);
        else {
          const value = context.decode(list[0]!);
          if (value === undefined) problems.push({ pointer: pointerFor(location, spec.name, property), keyword: 'encoding', message: 'is not valid percent-encoding' });
          else object[property] = value;
        }
      }
      if (any) out[spec.name] = object;
      // An exploded object never uses its own name as a key (RFC 6570 §3.2.8): `name=v` is a
      // plain value (an object-or-scalar schema), checked as such.
      const plain = spec.objectKeys.includes(spec.name) ? undefined : values.get(spec.name);
      if (plain !== undefined) {
        consumed.add(spec.name);
        if (plain.length > 1 || any) duplicate(spec.name);
        else setValue(out, { ...spec, shape: 'scalar' }, plain[0]!, context);
      }
      continue;
    }
    const list = values.get(spec.name);
    if (!list) continue;
    consumed.add(spec.name);
    if (spec.shape === 'array' && spec.explode && (spec.style === 'form' || spec.style === 'deepObject')) {
      const items: string[] = [];
      for (const raw of list) {
        const item = context.decode(raw);
        if (item === undefined) problems.push({ pointer: pointerFor(location, spec.name), keyword: 'encoding', message: 'is not valid percent-encoding' });
        else items.push(item);
      }
      out[spec.name] = items;
      continue;
    }
    if (list.length > 1) {
      duplicate(spec.name);
      continue;
    }
    setValue(out, spec, list[0]!, context);
  }
  return out;
}

function setValue(out: Record<string, unknown>, spec: ParameterSpec, raw: string, context: CollectContext): void {
  const value = decodeValue(spec, raw, context);
  if (value !== undefined) out[spec.key] = value;
}

/**
 * One serialized value (a path segment, a header, a single query value) → what the schema sees:
 * split by its style on raw delimiters, parts decoded; a plain value where the schema allows one.
 */
export function decodeValue(spec: ParameterSpec, raw: string, context: Omit<CollectContext, 'consumed'>): unknown {
  const { location, problems } = context;
  if (spec.json) {
    const text = context.decode(raw);
    const parsed = text === undefined ? undefined : parseJsonSafely(text, context.limits);
    if (parsed?.ok) return parsed.validated;
    problems.push({ pointer: `${pointerFor(location, spec.name)}${parsed ? parsed.problem.pointer : ''}`, keyword: parsed ? parsed.problem.keyword : 'encoding', message: parsed ? parsed.problem.message : 'is not valid percent-encoding' });
    return undefined;
  }
  const split = splitSerialized(spec, raw, context.decode);
  if (split.ok) return split.value;
  // Not an object's serialization, but the schema allows a plain value: read it as one.
  if (spec.scalarToo && split.keyword === 'style') {
    const plain = splitSerialized({ ...spec, shape: 'scalar' }, raw, context.decode);
    if (plain.ok) return plain.value;
  }
  problems.push({ pointer: pointerFor(location, spec.name), keyword: split.keyword, message: split.message });
  return undefined;
}
