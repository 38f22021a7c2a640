/**
 * The request body parsed as JSON once and shared (RequestContext.readJson): validate, sanitize
 * and geo each used to parse it themselves. One result per body and limits; when a policy
 * replaces the body (sanitize), the next read parses the new bytes, so what later policies check
 * is exactly what the proxy forwards, never a value a policy says the bytes hold.
 */
import type { IncomingMessage } from 'node:http';
import { jsonLimitsKey, type JsonLimits, type JsonParseResult } from '../openapi/json-limits.js';
import { isJsonMediaType } from '../openapi/parameter-specs.js';
import { mediaTypeOf } from '../openapi/request-validator.js';
import { parseJsonSafely } from '../openapi/safe-json.js';

/**
 * @param readBody the context's readBody: the body as it will be forwarded (the replacement,
 * once there is one), read once within maxBodyBytes.
 * @returns readJson: undefined for an empty body, else the safe parser's result under `limits`.
 */
export function sharedJsonBody(readBody: () => Promise<Buffer>): (limits: JsonLimits) => Promise<JsonParseResult | undefined> {
  let parsedFrom: Buffer | undefined;
  const results = new Map<string, JsonParseResult>();
  return async function readJson(limits) {
    const body = await readBody();
    if (body.length === 0) return undefined;
    if (body !== parsedFrom) {
      parsedFrom = body;
      results.clear();
    }
    const key = jsonLimitsKey(limits);
    let result = results.get(key);
    if (result === undefined) {
      result = parseJsonSafely(body, limits);
      results.set(key, result);
    }
    return result;
  };
}

/**
 * Whether a policy that reads JSON can read this body: a JSON media type (application/json or any
 * `+json`, RFC 6839 §3.1) and no content coding (none is decoded here).
 */
export function isPlainJsonBody(req: IncomingMessage): boolean {
  const type = mediaTypeOf(firstValue(req.headers['content-type']));
  if (type === undefined || !isJsonMediaType(type.mediaType)) return false;
  return (firstValue(req.headers['content-encoding'])?.trim().toLowerCase() ?? 'identity') === 'identity';
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
