/**
 * JSON read from a JWT, a JWKS or a discovery document must mean one thing. JSON.parse (which jose
 * uses) keeps the last of two equal member names, while the issuer may have read the first: a
 * payload `{"sub":"a", …, "sub":"admin"}` is then one identity to the issuer and another to us.
 * RFC 7519 §4 lets a JWT parser reject duplicate claim names and RFC 7515 §4 makes the same rule
 * for the JOSE header; we reject them everywhere the gateway reads JSON of this kind.
 *
 * The check is the body parser's (openapi/safe-json.ts: jsonc-parser's tokenizer, names compared
 * unescaped, strict JSON, valid UTF-8, no prototype-pollution names). For a token, the header and
 * payload segments are only base64url-decoded and handed to it; jose still does all JWT parsing
 * and verification.
 */
import { parseJsonSafely, type JsonLimits } from '../openapi/safe-json.js';

/** Generous bounds: the sizes themselves are bounded before (token bytes, document bytes). */
const LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: 1024 * 1024, maxArrayLength: 100_000, maxProperties: 100_000 };
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Checks the JOSE header and the payload of a JWS compact serialization (RFC 7515 §7.1).
 * Returns undefined when both are strict JSON objects without repeated member names, else a short
 * reason for logs ("the payload has the member /sub more than once"); never the token or a claim value.
 */
export function jwsJsonProblem(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'is not a JWS compact serialization';
  for (const [index, what] of [
    [0, 'header'],
    [1, 'payload'],
  ] as const) {
    const segment = parts[index]!;
    // Buffer's decoder skips characters outside the alphabet: refuse them instead of reading around them.
    if (!BASE64URL.test(segment)) return `the ${what} is not base64url`;
    const problem = jsonObjectProblem(Buffer.from(segment, 'base64url'));
    if (problem) return `the ${what} ${problem}`;
  }
  return undefined;
}

/**
 * Parses a JSON document that must be one object (a JWKS, a discovery document): strict JSON,
 * valid UTF-8, no repeated member name at any depth. Throws an Error saying what is wrong.
 */
export function parseStrictJsonObject(bytes: Buffer): Record<string, unknown> {
  // Only equal names are duplicates here: an issuer's vendor claims may differ in case alone.
  const result = parseJsonSafely(bytes, LIMITS, { caseVariants: 'allow' });
  if (!result.ok) throw new Error(describe(result.problem));
  if (typeof result.value !== 'object' || result.value === null || Array.isArray(result.value)) throw new Error('is not a JSON object');
  return result.value as Record<string, unknown>;
}

function jsonObjectProblem(bytes: Buffer): string | undefined {
  try {
    parseStrictJsonObject(bytes);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function describe(problem: { pointer: string; keyword: string; message: string }): string {
  if (problem.keyword === 'duplicateKey') return `has the member ${problem.pointer} more than once`;
  return `${problem.pointer === '' ? '' : `at ${problem.pointer} `}${problem.message}`.trim();
}
