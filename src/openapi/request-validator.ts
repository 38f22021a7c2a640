/**
 * Checks one request against one compiled operation: path, query, header and cookie parameters,
 * then the body by its media type. Returns every problem found (the caller caps and reports them);
 * reads nothing from the network, so it is a plain function over what the gateway has parsed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { describeAjvErrors, type CompiledMediaType, type CompiledOperation } from './contract.js';
import { collectNamed, decodeValue, parseCookies, parseFormEncoded, pointerFor, type RequestProblem } from './parameters.js';
import { decodeUtf8, parseJsonSafely, type JsonLimits } from './safe-json.js';
import { safeDecode } from './operation-path.js';

export interface ValidationLimits extends JsonLimits {
  readonly maxBodyBytes: number;
}

export interface RequestInput {
  /** Raw path values by the document's parameter names, or undefined if the path did not match. */
  readonly pathValues: Readonly<Record<string, string>> | undefined;
  /** The query string with its `?`, or ''. */
  readonly search: string;
  readonly headers: IncomingHttpHeaders;
}

export interface ParameterOptions {
  readonly rejectUnknownQuery: boolean;
  readonly limits: ValidationLimits;
}

export function validateParameters(compiled: CompiledOperation, input: RequestInput, options: ParameterOptions): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const { limits } = options;

  // Path
  const path = compiled.parameters.path;
  if (path.validate) {
    const values: Record<string, unknown> = {};
    for (const spec of path.specs) {
      const raw = input.pathValues?.[spec.name];
      if (raw === undefined) continue;
      const decoded = safeDecode(raw);
      if (decoded === undefined) problems.push({ pointer: pointerFor('path', spec.name), keyword: 'encoding', message: 'is not valid percent-encoding' });
      else if (decoded.length > limits.maxStringLength) problems.push({ pointer: pointerFor('path', spec.name), keyword: 'maxStringLength', message: `is longer than ${limits.maxStringLength} characters` });
      else values[spec.name] = decodeValue(spec, decoded, 'path', problems);
    }
    if (!path.validate(values)) problems.push(...describeAjvErrors(path.validate.errors, 'path'));
  }

  // Query
  const query = parseFormEncoded(input.search.startsWith('?') ? input.search.slice(1) : input.search);
  if (query.size > limits.maxProperties) {
    problems.push({ pointer: '/query', keyword: 'maxProperties', message: `has more than ${limits.maxProperties} parameters` });
  } else {
    checkLengths(query, 'query', limits.maxStringLength, problems);
    const consumed = new Set<string>();
    const values = collectNamed(compiled.parameters.query.specs, query, 'query', problems, consumed);
    if (compiled.parameters.query.validate && !compiled.parameters.query.validate(values)) problems.push(...describeAjvErrors(compiled.parameters.query.validate.errors, 'query'));
    if (options.rejectUnknownQuery) {
      for (const name of query.keys()) if (!consumed.has(name)) problems.push({ pointer: pointerFor('query', name), keyword: 'unknownParameter', message: 'is not a query parameter of this operation' });
    }
  }

  // Headers
  const headers = compiled.parameters.header;
  if (headers.validate) {
    const values: Record<string, unknown> = {};
    for (const spec of headers.specs) {
      const raw = input.headers[spec.key];
      if (raw === undefined) continue;
      const text = Array.isArray(raw) ? raw.join(', ') : raw;
      values[spec.key] = decodeValue(spec, text, 'header', problems);
    }
    if (!headers.validate(values)) problems.push(...describeAjvErrors(headers.validate.errors, 'header'));
  }

  // Cookies
  const cookies = compiled.parameters.cookie;
  if (cookies.validate) {
    const jar = parseCookies(typeof input.headers.cookie === 'string' ? input.headers.cookie : undefined);
    const values = collectNamed(cookies.specs, jar, 'cookie', problems, new Set());
    if (!cookies.validate(values)) problems.push(...describeAjvErrors(cookies.validate.errors, 'cookie'));
  }
  return problems;
}

function checkLengths(values: ReadonlyMap<string, readonly string[]>, location: string, max: number, problems: RequestProblem[]): void {
  for (const [name, list] of values) {
    if (name.length > max || list.some((value) => value.length > max)) problems.push({ pointer: pointerFor(location, name), keyword: 'maxStringLength', message: `is longer than ${max} characters` });
  }
}

/** The media type of a Content-Type value: lower-case, without parameters. */
export function mediaTypeOf(contentType: string | undefined): { mediaType: string; charset: string | undefined } | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  const mediaType = type!.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mediaType)) return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const [name, value] = param.split('=');
    if (name?.trim().toLowerCase() === 'charset' && value !== undefined) charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { mediaType, charset };
}

/** The declared media type a request's Content-Type selects: exact, then `type/*`, then `*\/*`. */
export function selectMedia(declared: readonly CompiledMediaType[], mediaType: string): CompiledMediaType | undefined {
  const wildcard = `${mediaType.split('/')[0]}/*`;
  return declared.find((m) => m.mediaType === mediaType) ?? declared.find((m) => m.mediaType === wildcard) ?? declared.find((m) => m.mediaType === '*/*');
}

/** Validates a buffered body of a JSON or form media type. */
export function validateBody(media: CompiledMediaType, body: Buffer, limits: ValidationLimits): RequestProblem[] {
  if (media.kind === 'json') {
    const parsed = parseJsonSafely(body, limits);
    if (!parsed.ok) return [{ pointer: `/body${parsed.problem.pointer}`, keyword: parsed.problem.keyword, message: parsed.problem.message }];
    if (media.validate && !media.validate(parsed.validated)) return describeAjvErrors(media.validate.errors, 'body');
    return [];
  }
  if (media.kind === 'form') {
    const text = decodeUtf8(body);
    if (text === undefined) return [{ pointer: '/body', keyword: 'encoding', message: 'is not valid UTF-8' }];
    const fields = parseFormEncoded(text);
    const problems: RequestProblem[] = [];
    if (fields.size > limits.maxProperties) return [{ pointer: '/body', keyword: 'maxProperties', message: `has more than ${limits.maxProperties} fields` }];
    checkLengths(fields, 'body', limits.maxStringLength, problems);
    for (const [name, list] of fields) {
      if (name === '__proto__' || name.startsWith('__proto__[') || name.includes('constructor[prototype]')) problems.push({ pointer: pointerFor('body', name), keyword: 'forbiddenKey', message: 'is a forbidden field name (prototype pollution)' });
      if (list.length > 1 && !media.fields.some((f) => f.name === name && f.shape === 'array')) problems.push({ pointer: pointerFor('body', name), keyword: 'duplicate', message: 'must appear only once' });
    }
    if (problems.length > 0) return problems;
    const value: Record<string, unknown> = {};
    for (const [name, list] of fields) value[name] = media.fields.some((f) => f.name === name && f.shape === 'array') ? [...list] : list[0];
    if (media.validate && !media.validate(value)) return describeAjvErrors(media.validate.errors, 'body');
    return [];
  }
  return [];
}
