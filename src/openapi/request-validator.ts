/**
 * Checks one request against one compiled operation: path, query, header and cookie parameters,
 * then the body by its media type. Returns every problem found (the caller caps and reports them);
 * reads nothing from the network, so it is a plain function over what the gateway has parsed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { describeAjvErrors, type CompiledMediaType, type CompiledOperation } from './contract.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { collectNamed, decodeValue, parseCookies, pointerFor, type RequestProblem } from './parameters.js';
import { decodeUtf8, parseJsonSafely, type JsonLimits, type JsonParseResult } from './safe-json.js';
import { coerce, NO_PLAN, type TypePlan } from './coerce.js';
import { asSent, decodeCookie, decodeForm, decodePath, parseRawPairs, semicolonNames, setOwn } from './serialization.js';
import { isJsonMediaType } from './parameter-specs.js';
import { headerAliasIndex, headerAliasOf, isMethodOverrideName, queryAliasIndex, queryAliasOf, type AliasIndex } from './name-aliases.js';

export interface ValidationLimits extends JsonLimits {
  readonly maxBodyBytes: number;
}

export interface RequestInput {
  /** Raw path values by the document's parameter names, or undefined if the path did not match. */
  readonly pathValues: Readonly<Record<string, string>> | undefined;
  /** The query string with its `?`, or ''. */
  readonly search: string;
  readonly headers: IncomingHttpHeaders;
  /** Each header's field lines, as received (Node's `headersDistinct`). */
  readonly headerLines?: Readonly<Record<string, readonly string[] | undefined>>;
}

export interface ParameterOptions {
  readonly rejectUnknownQuery: boolean;
  readonly limits: ValidationLimits;
}

export function validateParameters(compiled: CompiledOperation, input: RequestInput, options: ParameterOptions): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const { limits } = options;

  // Path: each segment split by its style (simple, label, matrix), then decoded.
  const path = compiled.parameters.path;
  if (path.validate) {
    const values: Record<string, unknown> = {};
    for (const spec of path.specs) {
      const raw = input.pathValues?.[spec.name];
      if (raw === undefined) continue;
      if (raw.length > limits.maxStringLength) problems.push({ pointer: pointerFor('path', spec.name), keyword: 'maxStringLength', message: `is longer than ${limits.maxStringLength} characters` });
      else setDefined(values, spec.key, decodeValue(spec, raw, { location: 'path', decode: decodePath, limits, problems }));
    }
    check(path, values, 'path', problems);
  }

  // Query: with none sent and none declared there is nothing to read or check.
  const search = input.search.startsWith('?') ? input.search.slice(1) : input.search;
  if (search !== '' || compiled.parameters.query.validate) checkQuery(compiled, search, options, problems);

  // Headers: not percent-encoded; lists split on commas.
  const headers = compiled.parameters.header;
  if (headers.validate) {
    // `X_Id` is `X-Id` to CGI-style servers: refused rather than forwarded unchecked.
    const aliases = headerAliasIndex(headers.specs);
    for (const name in input.headers) {
      const declared = headerAliasOf(aliases, name);
      if (declared !== undefined) problems.push({ pointer: pointerFor('header', name), keyword: 'ambiguousName', message: `is read as the header ${declared} by some servers: send it as declared` });
    }
    const values: Record<string, unknown> = {};
    for (const spec of headers.specs) {
      const raw = input.headers[spec.key];
      if (raw === undefined) continue;
      // RFC 9110 §5.3: only a list may arrive in several field lines. Node joins them with `, `,
      // while many servers read only the first (Go's Header.Get) or the last line of a scalar.
      if (spec.shape === 'scalar' && (input.headerLines?.[spec.key]?.length ?? 0) > 1) {
        problems.push({ pointer: pointerFor('header', spec.key), keyword: 'duplicate', message: 'must appear only once' });
        continue;
      }
      const text = Array.isArray(raw) ? raw.join(', ') : raw;
      setDefined(values, spec.key, decodeValue(spec, text, { location: 'header', decode: asSent, limits, problems }));
    }
    check(headers, values, 'header', problems);
  }

  // Cookies
  const cookies = compiled.parameters.cookie;
  if (cookies.validate) {
    const jar = parseCookies(typeof input.headers.cookie === 'string' ? input.headers.cookie : undefined);
    const consumed = new Set<string>();
    const values = collectNamed(cookies.specs, jar, { location: 'cookie', decode: asSent, limits, problems, consumed });
    check(cookies, values, 'cookie', problems);
    // PHP percent-decodes and mangles cookie names, ASP.NET Core matches them case-insensitively.
    const aliases = queryAliasIndex(cookies.specs);
    for (const name of jar.keys()) {
      if (consumed.has(name)) continue;
      const decoded = decodeCookie(name) ?? name;
      const declared = queryAliasOf(aliases, decoded) ?? (decoded !== name ? aliases.get(decoded.toLowerCase()) : undefined);
      if (declared !== undefined) problems.push({ pointer: pointerFor('cookie', name), keyword: 'ambiguousName', message: `is read as the cookie "${declared.slice(0, 64)}" by some servers: send it as declared` });
    }
    // The upstream may percent-decode cookie values: that reading must pass too.
    if ([...jar.values()].some((list) => list.some((value) => value.includes('%')))) {
      const decodedProblems: RequestProblem[] = [];
      const decoded = collectNamed(cookies.specs, jar, { location: 'cookie', decode: decodeCookie, limits, problems: decodedProblems, consumed: new Set() });
      check(cookies, decoded, 'cookie', decodedProblems);
      for (const found of decodedProblems) if (!problems.some((p) => p.pointer === found.pointer && p.keyword === found.keyword)) problems.push(found);
    }
  }
  return problems;
}

/** The query string against the operation's query parameters (styles, aliases, unknown names). */
function checkQuery(compiled: CompiledOperation, search: string, options: ParameterOptions, problems: RequestProblem[]): void {
  const { limits } = options;
  const query = parseRawPairs(search);
  smuggledBySemicolon(search, queryAliasIndex(compiled.parameters.query.specs), options.rejectUnknownQuery, 'query', problems);
  if (query.size > limits.maxProperties) {
    problems.push({ pointer: '/query', keyword: 'maxProperties', message: `has more than ${limits.maxProperties} parameters` });
  } else {
    checkLengths(query, 'query', limits.maxStringLength, problems);
    const consumed = new Set<string>();
    const values = collectNamed(compiled.parameters.query.specs, query, { location: 'query', decode: decodeForm, limits, problems, consumed });
    check(compiled.parameters.query, values, 'query', problems);
    const aliases = queryAliasIndex(compiled.parameters.query.specs);
    for (const name of query.keys()) {
      if (consumed.has(name)) continue;
      if (!aliasProblem(aliases, name, 'query', problems) && options.rejectUnknownQuery) problems.push({ pointer: pointerFor('query', name), keyword: 'unknownParameter', message: 'is not a query parameter of this operation' });
    }
  }
}

/**
 * `a=1;n=50` is one parameter `a` here, but `a=1` and `n=50` to a server that splits on `;` too
 * (serialization.ts): refused when that `n` is a declared parameter (or reads as one), or when
 * unknown names are refused anyway. A `;` inside a value is left alone otherwise (`q=a;b`, RSQL).
 */
function smuggledBySemicolon(text: string, index: AliasIndex, rejectUnknown: boolean, location: string, problems: RequestProblem[]): void {
  for (const name of semicolonNames(text)) {
    if (rejectUnknown || index.has(name.toLowerCase()) || queryAliasOf(index, name) !== undefined) {
      problems.push({ pointer: pointerFor(location, name), keyword: 'separator', message: 'follows a ";" that some servers read as a separator: percent-encode the ";" as %3B' });
    }
  }
}

/** Refuses an undeclared name that servers read as a declared one (name-aliases.ts); true if it did. */
function aliasProblem(index: AliasIndex, name: string, location: string, problems: RequestProblem[]): boolean {
  // A name that is not valid UTF-8 once decoded stays as sent here; PHP decodes its bytes anyway
  // (`n%5B%FF%5D` is the array `n`), so its escapes are read byte by byte too.
  const declared = queryAliasOf(index, name) ?? (/%[0-9A-Fa-f]{2}/.test(name) ? queryAliasOf(index, decodeBytes(name)) : undefined);
  if (declared === undefined) return false;
  problems.push({ pointer: pointerFor(location, name), keyword: 'ambiguousName', message: `is read as "${declared.slice(0, 64)}" by some servers: send it as declared` });
  return true;
}

/** `%XX` escapes as the bytes (Latin-1 characters) they stand for, whatever UTF-8 says. */
function decodeBytes(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function setDefined(values: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) values[key] = value;
}

/**
 * Types the collected texts by the plan and validates them. Where the plan lets a text be a string
 * or a number/boolean (`anyOf: [integer, string]`), the string reading is tried too before refusing.
 */
function check(validator: { readonly validate: ValidateFunction | undefined; readonly plan: TypePlan }, values: Record<string, unknown>, location: string, problems: RequestProblem[]): void {
  const { validate, plan } = validator;
  if (!validate || validate(coerce(plan, values))) return;
  const errors = validate.errors;
  if (plan.ambiguous && validate(coerce(plan, values, true))) return;
  // A value that could not be read (bad encoding or style) is reported once, not also as missing.
  const reported = new Set(problems.map((p) => p.pointer));
  problems.push(...describeAjvErrors(errors, location).filter((p) => !(p.keyword === 'required' && reported.has(p.pointer))));
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
    if (name?.trim().toLowerCase() !== 'charset' || value === undefined) continue;
    // Two charsets: one server decodes by the first, another by the last (RFC 9110 §8.3.1 names one).
    if (charset !== undefined) return undefined;
    charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { mediaType, charset };
}

/** The declared media type a request's Content-Type selects: exact, then `type/*`, then `*\/*`. */
export function selectMedia(declared: readonly CompiledMediaType[], mediaType: string): CompiledMediaType | undefined {
  const wildcard = `${mediaType.split('/')[0]}/*`;
  return declared.find((m) => m.mediaType === mediaType) ?? declared.find((m) => m.mediaType === wildcard) ?? declared.find((m) => m.mediaType === '*/*');
}

/**
 * What a body is checked as: its declared media type, or for a wildcard declaration with a schema
 * (`*\/*`), JSON or form content by the Content-Type it arrived with (anything else passes unparsed).
 */
export function contentFor(media: CompiledMediaType, mediaType: string): CompiledMediaType {
  if (media.kind !== 'other') return media;
  if (media.asJson && isJsonMediaType(mediaType)) return media.asJson;
  if (media.asForm && mediaType === 'application/x-www-form-urlencoded') return media.asForm;
  return media;
}

/**
 * Validates a buffered body of a JSON or form media type. `json`: the body already parsed under
 * these limits (the request context's shared parse), so it is not parsed again.
 */
export function validateBody(media: CompiledMediaType, body: Buffer, limits: ValidationLimits, json?: JsonParseResult): RequestProblem[] {
  if (media.kind === 'json') {
    const parsed = json ?? parseJsonSafely(body, limits);
    if (!parsed.ok) return [{ pointer: `/body${parsed.problem.pointer}`, keyword: parsed.problem.keyword, message: parsed.problem.message }];
    // Laravel reads `_method` from a JSON body too (its input bag is the JSON object) and runs a
    // POST as the method named: refused like the query and form spellings (name-aliases.ts).
    const problems: RequestProblem[] = [];
    const value = parsed.value;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const key of Object.keys(value)) if (isMethodOverrideName(key)) problems.push({ pointer: pointerFor('body', key), keyword: 'methodOverride', message: 'asks the upstream for another method: send the method itself' });
    }
    if (media.validate && !media.validate(parsed.validated)) problems.push(...describeAjvErrors(media.validate.errors, 'body'));
    return problems;
  }
  if (media.kind === 'form') {
    const text = decodeUtf8(body);
    if (text === undefined) return [{ pointer: '/body', keyword: 'encoding', message: 'is not valid UTF-8' }];
    if (text.charCodeAt(0) === 0xfeff) return [{ pointer: '/body', keyword: 'byteOrderMark', message: 'starts with a byte order mark: send the fields without it' }];
    const fields = parseRawPairs(text);
    const problems: RequestProblem[] = [];
    smuggledBySemicolon(text, queryAliasIndex(media.fields), false, 'body', problems);
    if (fields.size > limits.maxProperties) return [{ pointer: '/body', keyword: 'maxProperties', message: `has more than ${limits.maxProperties} fields` }];
    checkLengths(fields, 'body', limits.maxStringLength, problems);
    for (const name of fields.keys()) {
      // A `_method` field would make Rails, Symfony or Laravel run another method (name-aliases.ts).
      if (isMethodOverrideName(name) && !media.fields.some((field) => field.name === name)) problems.push({ pointer: pointerFor('body', name), keyword: 'methodOverride', message: 'asks the upstream for another method: send the method itself' });
      if (name === '__proto__' || name.startsWith('__proto__[') || name.includes('constructor[prototype]')) problems.push({ pointer: pointerFor('body', name), keyword: 'forbiddenKey', message: 'is a forbidden field name (prototype pollution)' });
    }
    if (problems.length > 0) return problems;
    const consumed = new Set<string>();
    const value = collectNamed(media.fields, fields, { location: 'body', decode: decodeForm, limits, problems, consumed });
    // Fields the schema does not name stay as sent: a closed schema refuses them, a free-form one keeps them.
    const aliases = queryAliasIndex(media.fields);
    for (const [name, list] of fields) {
      if (consumed.has(name) || aliasProblem(aliases, name, 'body', problems)) continue;
      const decoded = decodeForm(list[0]!);
      if (list.length > 1) problems.push({ pointer: pointerFor('body', name), keyword: 'duplicate', message: 'must appear only once' });
      else if (decoded === undefined) problems.push({ pointer: pointerFor('body', name), keyword: 'encoding', message: 'is not valid percent-encoding' });
      else setOwn(value, name, decoded);
    }
    if (problems.length > 0) return problems;
    check({ validate: media.validate, plan: media.plan ?? NO_PLAN }, value, 'body', problems);
    return problems;
  }
  return [];
}
