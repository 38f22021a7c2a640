/**
 * The shapes of a request body read as JSON by the safe parser (openapi/safe-json.ts): a leaf with
 * no imports, so the request context (core) can offer one parsed body to every policy
 * (RequestContext.readJson) without importing the parser.
 */

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxStringLength: number;
  readonly maxArrayLength: number;
  readonly maxProperties: number;
}

/**
 * The limits a policy without its own `limits` option reads a body with (the geo policy's
 * location check): the same defaults as validate's and sanitize's `limits`.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({ maxDepth: 32, maxStringLength: 65536, maxArrayLength: 10000, maxProperties: 1000 });

export interface JsonProblem {
  /** JSON pointer into the body (RFC 6901), '' for the whole body. */
  readonly pointer: string;
  readonly keyword: 'json' | 'encoding' | 'byteOrderMark' | 'duplicateKey' | 'forbiddenKey' | 'maxDepth' | 'maxStringLength' | 'maxNumberLength' | 'maxArrayLength' | 'maxProperties';
  readonly message: string;
}

/**
 * `value` is what JSON.parse builds (what an upstream reading the same text with JSON.parse gets);
 * `validated` is the same value with number literals that are not exactly their double moved to the
 * neighbouring double on their side (numbers.ts), for the schema check. Both are the same object
 * when no literal needed it (almost always). Shared between policies: never mutate either.
 */
export type JsonParseResult = { ok: true; value: unknown; validated: unknown } | { ok: false; problem: JsonProblem };

/** A cache key for a set of limits: a body parsed under other limits is checked again. */
export function jsonLimitsKey(limits: JsonLimits): string {
  return `${limits.maxDepth}:${limits.maxStringLength}:${limits.maxArrayLength}:${limits.maxProperties}`;
}
