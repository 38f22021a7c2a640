/**
 * Parses a JSON request body only if it is safe to hand on: valid UTF-8 and strict JSON (RFC 8259),
 * no duplicate keys (§4 leaves their meaning open, so the gateway and the upstream could each read a
 * different value; keys differing only in case count, as Go reads them as one), no
 * prototype-pollution keys (`__proto__`, `constructor.prototype`), and within limits on nesting depth, string length, array length and properties per object, whatever the
 * schema says.
 *
 * JSON.parse cannot see duplicates or stop early, so the text is first walked with jsonc-parser's
 * tokenizer (Microsoft's, the one VS Code uses; strings and escapes handled by its scanner, property
 * names reported unescaped, so `"a"` and `"\u0061"` are the same key), which stops at the first
 * problem; only then does JSON.parse build the value. Comments and trailing commas, which jsonc
 * would allow, are refused by its options, and JSON.parse refuses anything else non-standard.
 */
import { visit, type JSONPath } from 'jsonc-parser';
import { MAX_NUMBER_LENGTH, validatedDouble } from './numbers.js';
import type { JsonLimits, JsonParseResult, JsonProblem } from './json-limits.js';

export type { JsonLimits, JsonParseResult, JsonProblem };

interface Frame {
  readonly array: boolean;
  /** The key this container sits under in its parent object (for constructor.prototype). */
  readonly parentKey: string | number | undefined;
  readonly keys: Set<string> | undefined;
  /** The keys case-folded: Go's encoding/json and ASP.NET read keys differing only in case as one. */
  readonly folded: Set<string> | undefined;
  count: number;
}

class Stop extends Error {
  constructor(readonly problem: JsonProblem) {
    super(problem.message);
  }
}

// ignoreBOM: a byte order mark stays in the text, so it is refused where it matters instead of
// silently dropped here while the upstream receives it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Builds a pointer from a jsonc path; client-supplied keys are cut short so no large input is echoed. */
export function pathToPointer(path: readonly (string | number)[]): string {
  return path.map((token) => `/${truncateToken(String(token)).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function truncateToken(token: string): string {
  return token.length > 64 ? `${token.slice(0, 64)}…` : token;
}

export function decodeUtf8(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * @param options.caseVariants `refuse` (the default, for request bodies the upstream reads): keys
 * of one object that differ only in letter case are duplicates too; `allow`: only equal keys are
 * (JSON the gateway alone reads, and issuers' documents: JWTs, JWKS, the admin API). A request
 * body is parsed once and the result shared through the request context (http/json-body.ts).
 */
export function parseJsonSafely(body: Buffer | string, limits: JsonLimits, options: { caseVariants?: 'refuse' | 'allow' } = {}): JsonParseResult {
  return parse(body, limits, options.caseVariants !== 'allow');
}

function parse(body: Buffer | string, limits: JsonLimits, foldCase: boolean): JsonParseResult {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  if (text === undefined) return { ok: false, problem: { pointer: '', keyword: 'encoding', message: 'is not valid UTF-8' } };
  // RFC 8259 §8.1: a sender MUST NOT add a byte order mark; a parser MAY ignore it. Many upstream
  // parsers (JSON.parse among them) refuse it, so the gateway refuses it rather than validate a
  // text the upstream would read differently.
  if (text.charCodeAt(0) === 0xfeff) return { ok: false, problem: { pointer: '', keyword: 'byteOrderMark', message: 'starts with a byte order mark (RFC 8259 §8.1): send JSON without it' } };
  const stack: Frame[] = [];
  const adjusted: Array<{ path: JSONPath; value: number }> = [];
  let lastKey: string | undefined;
  const fail = (path: JSONPath, keyword: JsonProblem['keyword'], message: string): never => {
    throw new Stop({ pointer: pathToPointer(path), keyword, message });
  };
  /** A value starts: counts it into its array and checks the array's length. */
  const enterValue = (pathSupplier: () => JSONPath) => {
    const top = stack[stack.length - 1];
    if (top?.array && ++top.count > limits.maxArrayLength) fail(pathSupplier().slice(0, -1), 'maxArrayLength', `has more than ${limits.maxArrayLength} items`);
  };
  const open = (array: boolean, pathSupplier: () => JSONPath) => {
    enterValue(pathSupplier);
    if (stack.length + 1 > limits.maxDepth) fail(pathSupplier(), 'maxDepth', `is nested deeper than ${limits.maxDepth} levels`);
    const top = stack[stack.length - 1];
    stack.push({ array, parentKey: top === undefined ? undefined : top.array ? top.count - 1 : lastKey, keys: array ? undefined : new Set(), folded: array ? undefined : new Set(), count: 0 });
  };
  try {
    visit(
      text,
      {
        onObjectBegin: (_offset, _length, _line, _column, pathSupplier) => open(false, pathSupplier),
        onArrayBegin: (_offset, _length, _line, _column, pathSupplier) => open(true, pathSupplier),
        onObjectEnd: () => void stack.pop(),
        onArrayEnd: () => void stack.pop(),
        onObjectProperty: (property, _offset, _length, _line, _column, pathSupplier) => {
          const top = stack[stack.length - 1]!;
          const at = () => [...pathSupplier(), property];
          if (property.length > limits.maxStringLength) fail(pathSupplier(), 'maxStringLength', `has a property name longer than ${limits.maxStringLength} characters`);
          if (top.keys!.has(property)) fail(at(), 'duplicateKey', 'appears more than once in its object');
          // `{"amount": 5, "AMOUNT": 50}`: Go's encoding/json matches struct fields case-insensitively
          // (last one wins), as does ASP.NET's System.Text.Json; a schema that allows other keys
          // would pass 5 while the upstream reads 50. Unicode folding too: U+212A KELVIN SIGN is `k`.
          if (foldCase) {
            const folded = property.toUpperCase().toLowerCase();
            if (top.folded!.has(folded)) fail(at(), 'duplicateKey', 'differs only in letter case from another key of its object (Go and ASP.NET read them as one)');
            top.folded!.add(folded);
          }
          // Keys that reach Object.prototype when an upstream merges the object into another.
          if (property === '__proto__' || (property === 'prototype' && top.parentKey === 'constructor')) fail(at(), 'forbiddenKey', 'is a forbidden property name (prototype pollution)');
          top.keys!.add(property);
          if (++top.count > limits.maxProperties) fail(pathSupplier(), 'maxProperties', `has more than ${limits.maxProperties} properties`);
          lastKey = property;
        },
        onLiteralValue: (value: unknown, offset, length, _line, _column, pathSupplier) => {
          enterValue(pathSupplier);
          if (typeof value === 'string' && value.length > limits.maxStringLength) fail(pathSupplier(), 'maxStringLength', `is longer than ${limits.maxStringLength} characters`);
          if (typeof value === 'number') {
            if (length > MAX_NUMBER_LENGTH) fail(pathSupplier(), 'maxNumberLength', `is a number longer than ${MAX_NUMBER_LENGTH} characters`);
            const literal = text.slice(offset, offset + length);
            const exact = validatedDouble(literal);
            if (exact !== Number(literal)) adjusted.push({ path: pathSupplier(), value: exact });
          }
        },
        onError: (_error, offset) => {
          throw new Stop({ pointer: '', keyword: 'json', message: `is not valid JSON (at character ${offset})` });
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (error) {
    if (error instanceof Stop) return { ok: false, problem: error.problem };
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value, validated: adjusted.length === 0 ? value : withAdjustments(value, adjusted) };
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return { ok: false, problem: { pointer: '', keyword: 'json', message: `is not valid JSON${position ? ` (at character ${position})` : ''}` } };
  }
}

/** A copy of `value` with the numbers at the given paths replaced (the original stays as parsed). */
function withAdjustments(value: unknown, adjusted: ReadonlyArray<{ path: JSONPath; value: number }>): unknown {
  const copy = structuredClone(value) as unknown;
  if (adjusted.some((a) => a.path.length === 0)) return adjusted[0]!.value;
  for (const { path, value: number } of adjusted) {
    let node = copy as Record<string | number, unknown>;
    for (const token of path.slice(0, -1)) node = node[token] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = number;
  }
  return copy;
}

/**
 * The JSON text with some strings replaced, everything else byte for byte: string values by the
 * JSON of their path (`["items",0,"label"]`), property names by the JSON of the path to their value.
 * For a text parseJsonSafely accepted. Re-serializing the parsed value instead would rewrite
 * numbers beyond double precision (`9223372036854775807` → `9223372036854776000`).
 */
export function rewriteStrings(text: string, values: ReadonlyMap<string, string>, keys: ReadonlyMap<string, string>): string {
  const edits: Array<{ offset: number; length: number; text: string }> = [];
  visit(
    text,
    {
      onObjectProperty: (property, offset, length, _line, _column, pathSupplier) => {
        const name = keys.get(JSON.stringify([...pathSupplier(), property]));
        if (name !== undefined) edits.push({ offset, length, text: JSON.stringify(name) });
      },
      onLiteralValue: (value: unknown, offset, length, _line, _column, pathSupplier) => {
        const replaced = typeof value === 'string' ? values.get(JSON.stringify(pathSupplier())) : undefined;
        if (replaced !== undefined) edits.push({ offset, length, text: JSON.stringify(replaced) });
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  let out = '';
  let at = 0;
  for (const edit of edits.sort((a, b) => a.offset - b.offset)) {
    out += text.slice(at, edit.offset) + edit.text;
    at = edit.offset + edit.length;
  }
  return out + text.slice(at);
}
