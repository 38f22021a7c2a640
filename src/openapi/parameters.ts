/**
 * Turns the raw strings of a request (path segments, query, headers, cookies, form fields) into the
 * values an operation's parameter schemas describe, following the OpenAPI serialization styles
 * (OpenAPI 3.1 §4.8.12.4: form, simple, spaceDelimited, pipeDelimited, deepObject). Values stay
 * strings here; Ajv coerces them to the schema's types. A parameter that is not a list but appears
 * twice is refused (HTTP parameter pollution: the gateway and the upstream could read different
 * ones).
 */
import type { ParameterLocation } from './openapi-document.js';
import { truncateToken } from './safe-json.js';

export type Shape = 'array' | 'object' | 'scalar';

export interface ParameterSpec {
  readonly name: string;
  /** Lower-case for headers, as Node presents them. */
  readonly key: string;
  readonly in: ParameterLocation;
  readonly style: string;
  readonly explode: boolean;
  readonly shape: Shape;
  /** The value is a JSON document (`content: application/json`). */
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

/** `a=1&a=2&b` → { a: ['1', '2'], b: [''] } (application/x-www-form-urlencoded rules). */
export function parseFormEncoded(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const list = found.get(key);
    if (list) list.push(value);
    else found.set(key, [value]);
  }
  return found;
}

/** Cookie header (RFC 6265 §5.4) → name → values. */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (!header) return found;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    const list = found.get(name);
    if (list) list.push(value);
    else found.set(name, [value]);
  }
  return found;
}

const DELIMITERS: Record<string, string> = { form: ',', simple: ',', spaceDelimited: ' ', pipeDelimited: '|' };

/**
 * Collects the declared query-style parameters (query, cookie, form fields) from name → values.
 * Returns the object to validate; the names it used are added to `consumed`.
 */
export function collectNamed(specs: readonly ParameterSpec[], values: ReadonlyMap<string, readonly string[]>, location: string, problems: RequestProblem[], consumed: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.shape === 'object' && spec.style === 'deepObject') {
      const prefix = `${spec.name}[`;
      const object: Record<string, unknown> = {};
      let any = false;
      for (const [key, list] of values) {
        if (!key.startsWith(prefix) || !key.endsWith(']')) continue;
        const property = key.slice(prefix.length, -1);
        consumed.add(key);
        any = true;
        if (list.length > 1) problems.push({ pointer: pointerFor(location, spec.name, property), keyword: 'duplicate', message: 'must appear only once' });
        else object[property] = list[0];
      }
      if (any) out[spec.name] = object;
      continue;
    }
    if (spec.shape === 'object' && spec.explode) {
      const object: Record<string, unknown> = {};
      let any = false;
      for (const property of spec.objectKeys) {
        const list = values.get(property);
        if (!list) continue;
        consumed.add(property);
        any = true;
        if (list.length > 1) problems.push({ pointer: pointerFor(location, spec.name, property), keyword: 'duplicate', message: 'must appear only once' });
        else object[property] = list[0];
      }
      if (any) out[spec.name] = object;
      continue;
    }
    const list = values.get(spec.name);
    if (!list) continue;
    consumed.add(spec.name);
    if (spec.shape === 'array' && spec.explode && spec.style === 'form') {
      out[spec.name] = [...list];
      continue;
    }
    if (list.length > 1) {
      problems.push({ pointer: pointerFor(location, spec.name), keyword: 'duplicate', message: 'must appear only once' });
      continue;
    }
    const value = decodeValue(spec, list[0]!, location, problems);
    if (value !== undefined) out[spec.name] = value;
  }
  return out;
}

/** One serialized value (a path segment, a header, a single query value) → what the schema sees. */
export function decodeValue(spec: ParameterSpec, raw: string, location: string, problems: RequestProblem[]): unknown {
  if (spec.json) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      problems.push({ pointer: pointerFor(location, spec.name), keyword: 'json', message: 'is not valid JSON' });
      return undefined;
    }
  }
  const delimiter = DELIMITERS[spec.style] ?? ',';
  if (spec.shape === 'array') return raw === '' ? [] : raw.split(delimiter).map((item) => (spec.in === 'header' ? item.trim() : item));
  if (spec.shape === 'object') {
    const parts = raw.split(delimiter);
    const object: Record<string, string> = {};
    if (spec.explode) {
      // simple, explode: k=v,k2=v2
      for (const part of parts) {
        const eq = part.indexOf('=');
        if (eq > 0) object[part.slice(0, eq)] = part.slice(eq + 1);
      }
    } else {
      for (let i = 0; i + 1 < parts.length; i += 2) object[parts[i]!] = parts[i + 1]!;
    }
    return object;
  }
  return raw;
}
