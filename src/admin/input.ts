/**
 * The admin API's input: a bounded, strict JSON body and a query string, each checked against the
 * route's TypeBox schema with ajv (compiled once per schema). Every problem is a 400
 * `admin.invalid_request` with `errors[]` of JSON pointers.
 */
import type { IncomingMessage } from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { GatewayError } from '../core/errors.js';
import { parseJsonSafely, type JsonLimits } from '../openapi/safe-json.js';

export const MAX_BODY_BYTES = 64 * 1024;
/** Admin bodies are bounded by MAX_BODY_BYTES; these bounds only keep the walk shallow. */
const ADMIN_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: MAX_BODY_BYTES, maxArrayLength: MAX_BODY_BYTES, maxProperties: MAX_BODY_BYTES };

const bodyAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
/** Query values arrive as strings: `limit=5` is checked as the integer 5. */
const queryAjv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: false });
const compiled = new Map<Ajv, WeakMap<TSchema, ValidateFunction>>([
  [bodyAjv, new WeakMap()],
  [queryAjv, new WeakMap()],
]);

/** Compiles a schema once per validator (the route table is built once). */
function compile(ajv: Ajv, schema: TSchema): ValidateFunction {
  const cache = compiled.get(ajv)!;
  let check = cache.get(schema);
  if (!check) cache.set(schema, (check = ajv.compile(schema)));
  return check;
}

/** Reads a JSON body of at most MAX_BODY_BYTES; an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new GatewayError('request.body_too_large', { detail: `Admin request bodies are limited to ${MAX_BODY_BYTES} bytes.` });
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // The client went away mid-body: its problem, not the store's.
    throw new GatewayError('request.malformed', { detail: 'The request body was not received.' });
  }
  if (size === 0) return {};
  // Strict JSON, no repeated member names (a client's jwks with two `kid`s or two `n`s would be
  // one key to this check and another to whoever reads it later).
  const parsed = parseJsonSafely(Buffer.concat(chunks), ADMIN_JSON_LIMITS, { caseVariants: 'allow' });
  if (!parsed.ok) throw new GatewayError('admin.invalid_request', { detail: `The body ${parsed.problem.keyword === 'duplicateKey' ? `has the member ${parsed.problem.pointer} more than once` : 'is not valid JSON'}.` });
  return parsed.value;
}

/** The body, checked (defaults filled in), or 400 with every problem. */
export function validateBody(schema: TSchema, body: unknown): unknown {
  return check(compile(bodyAjv, schema), body, 'The body does not match the endpoint.');
}

/**
 * The query string as an object, checked against the route's schema (no schema: no parameter is
 * accepted). A name given twice is refused rather than one of its values picked.
 */
export function validateQuery(schema: TSchema | undefined, search: URLSearchParams): unknown {
  const query: Record<string, string> = {};
  for (const [name, value] of search) {
    if (Object.hasOwn(query, name)) throw new GatewayError('admin.invalid_request', { detail: `The query names ${name} more than once.` });
    query[name] = value;
  }
  if (!schema) {
    const names = Object.keys(query);
    if (names.length > 0) throw new GatewayError('admin.invalid_request', { detail: `This endpoint takes no query parameters (got ${names.join(', ')}).` });
    return {};
  }
  return check(compile(queryAjv, schema), query, 'The query does not match the endpoint.');
}

function check(validate: ValidateFunction, value: unknown, detail: string): unknown {
  if (validate(value)) return value;
  const errors = (validate.errors ?? []).map((e) => ({
    pointer: e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath || '/',
    keyword: e.keyword,
    message: e.keyword === 'additionalProperties' ? 'unknown property' : (e.message ?? 'is not valid'),
  }));
  throw new GatewayError('admin.invalid_request', { detail, extensions: { errors } });
}
