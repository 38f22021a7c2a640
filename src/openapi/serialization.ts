/**
 * Reading serialized parameter values as RFC 6570 and OpenAPI's styles write them (OpenAPI 3.0.3
 * §4.7.12.4, 3.1 §4.8.12.4): split on the delimiters as they appear in the raw text first, then
 * percent-decode each part (issue 12 §2). Decoding first would turn an encoded delimiter (`%2C`,
 * `%7C`, `%20`) into a separator, so `abcde%2Cfghij` (one item with a comma in it, as the client
 * and RFC 6570 mean it) would be checked as two short items.
 */
import type { ParameterLocation } from './openapi-document.js';

/** Percent-decodes one part of a value; undefined when the encoding is invalid. */
export type Decoder = (raw: string) => string | undefined;

/** Query strings and form bodies (WHATWG application/x-www-form-urlencoded): `+` is a space. */
export const decodeForm: Decoder = (raw) => decodePercent(raw.includes('+') ? raw.replace(/\+/g, ' ') : raw);
/** Path segments (RFC 3986 §2.1): `+` is itself. */
export const decodePath: Decoder = (raw) => decodePercent(raw);
/** Headers are not percent-encoded: the upstream reads them as sent. */
export const asSent: Decoder = (raw) => raw;
/**
 * Cookies: RFC 6265 leaves the value's encoding to the application, and many servers (Express's
 * cookie module, Rails) percent-decode it, keeping the text when it does not decode. Cookie values
 * are checked as sent and, where they hold a `%`, read this way too.
 */
export const decodeCookie: Decoder = (raw) => decodePercent(raw) ?? raw;

function decodePercent(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * `a=1&a=2&b&c[x]=3` → decoded name → raw values in order. Names are decoded (an upstream matches
 * names after decoding, brackets included); values stay raw until their style has split them.
 */
export function parseRawPairs(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  if (text === '') return found;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    const name = decodeForm(rawName) ?? rawName;
    const list = found.get(name);
    if (list) list.push(value);
    else found.set(name, [value]);
  }
  return found;
}

/**
 * The names a server that also splits on `;` would find after a `;` in a query or form body
 * (`a=1;n=50` → `n`): Python's parse_qs before 3.9.2, Go before 1.17, Perl's CGI and some Java
 * servers, as the HTML 4 appendix B.2.2 once advised. The gateway reads `a` as `1;n=50`.
 */
export function semicolonNames(text: string): string[] {
  const names: string[] = [];
  if (!text.includes(';')) return names;
  for (const part of text.split('&')) {
    const pieces = part.split(';');
    for (const piece of pieces.slice(1)) {
      const eq = piece.indexOf('=');
      if (eq === -1) continue;
      const raw = piece.slice(0, eq);
      names.push(decodeForm(raw) ?? raw);
    }
  }
  return names;
}

export interface StyleSpec {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly style: string;
  readonly explode: boolean;
  readonly shape: 'array' | 'object' | 'scalar';
}

export type Serialized = string | string[] | Record<string, string>;
export type SplitResult = { ok: true; value: Serialized } | { ok: false; keyword: string; message: string };

/** Header list items (RFC 9110 §5.6.1): optional whitespace around commas is SP or HTAB only. */
const trimOws = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, '');

/** The raw delimiter between items for a style (path/header simple and query form: `,`). */
function delimiter(spec: StyleSpec): string | RegExp {
  switch (spec.style) {
    // OpenAPI: space-separated, written `%20` in a URL (or `+` in a form-encoded query).
    case 'spaceDelimited':
      return /%20|\+| /;
    case 'pipeDelimited':
      return '|';
    case 'label':
      return spec.explode ? '.' : ',';
    case 'matrix':
      return spec.explode ? ';' : ',';
    default:
      return ',';
  }
}

/**
 * One serialized value (a path segment, a header value, a single query value) → its parts,
 * decoded after splitting. `label` values start with `.`, `matrix` values with `;name=`.
 */
export function splitSerialized(spec: StyleSpec, raw: string, decode: Decoder): SplitResult {
  let rest = raw;
  if (spec.style === 'label') {
    if (!rest.startsWith('.')) return { ok: false, keyword: 'style', message: 'must be written in label style (.value)' };
    rest = rest.slice(1);
  } else if (spec.style === 'matrix') {
    const prefix = `;${spec.name}`;
    if (spec.shape === 'object' && spec.explode) {
      if (!rest.startsWith(';')) return { ok: false, keyword: 'style', message: 'must be written in matrix style (;key=value)' };
      rest = rest.slice(1);
    } else if (spec.shape === 'array' && spec.explode) {
      // ;id=3;id=4 → every part must name the parameter.
      const parts = rest.split(';').slice(1);
      if (!rest.startsWith(';') || parts.some((part) => !part.startsWith(`${spec.name}=`))) return { ok: false, keyword: 'style', message: `must be written in matrix style (;${spec.name}=value)` };
      return decodeAll(parts.map((part) => part.slice(spec.name.length + 1)), decode);
    } else {
      if (rest === prefix) rest = '';
      else if (rest.startsWith(`${prefix}=`)) rest = rest.slice(prefix.length + 1);
      else return { ok: false, keyword: 'style', message: `must be written in matrix style (;${spec.name}=value)` };
    }
  }
  if (spec.shape === 'scalar') {
    const value = decode(rest);
    return value === undefined ? invalidEncoding() : { ok: true, value };
  }
  const parts = rest === '' ? [] : rest.split(delimiter(spec)).map((part) => (spec.in === 'header' ? trimOws(part) : part));
  if (spec.shape === 'array') return decodeAll(parts, decode);
  const object: Record<string, string> = {};
  if (spec.explode) {
    // k=v,k2=v2 (simple), .k=v.k2=v2 (label), ;k=v;k2=v2 (matrix)
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq === -1) return { ok: false, keyword: 'style', message: 'must list key=value pairs' };
      const key = decode(part.slice(0, eq));
      const value = decode(part.slice(eq + 1));
      if (key === undefined || value === undefined) return invalidEncoding();
      if (!setOwn(object, key, value)) return { ok: false, keyword: 'duplicate', message: `names "${key.slice(0, 64)}" twice or is a forbidden key` };
    }
  } else {
    if (parts.length % 2 !== 0) return { ok: false, keyword: 'style', message: 'must list keys and values in pairs' };
    for (let i = 0; i < parts.length; i += 2) {
      const key = decode(parts[i]!);
      const value = decode(parts[i + 1]!);
      if (key === undefined || value === undefined) return invalidEncoding();
      if (!setOwn(object, key, value)) return { ok: false, keyword: 'duplicate', message: `names "${key.slice(0, 64)}" twice or is a forbidden key` };
    }
  }
  return { ok: true, value: object };
}

function decodeAll(parts: readonly string[], decode: Decoder): SplitResult {
  const out: string[] = [];
  for (const part of parts) {
    const value = decode(part);
    if (value === undefined) return invalidEncoding();
    out.push(value);
  }
  return { ok: true, value: out };
}

function invalidEncoding(): SplitResult {
  return { ok: false, keyword: 'encoding', message: 'is not valid percent-encoding' };
}

/** Sets a new own property; false for a repeated key or `__proto__` (prototype pollution). */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): boolean {
  if (key === '__proto__' || Object.prototype.hasOwnProperty.call(object, key)) return false;
  object[key] = value;
  return true;
}
