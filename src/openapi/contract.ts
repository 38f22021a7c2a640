/**
 * Compiles an OpenAPI document into validators, once at load or reload, never per request: for every
 * operation, one Ajv function per parameter location (path, query, header, cookie), one per request
 * media type, and (when asked) one per response status and media type.
 *
 * The converted document is added to each Ajv instance as one schema resource and every validator is
 * a small schema that `$ref`s into it, so a component schema used by a hundred operations compiles
 * once. Two instances, neither coercing: bodies are validated as sent; parameters and form fields
 * arrive as text and are typed strictly by coerce.ts first ("42" → 42 where an integer is allowed;
 * "0x10", " 42" and "1 OR 1=1" stay strings and fail).
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ContractError, escapePointer, parseOpenApi, readOpenApiFile, type ContractMediaType, type ContractOperation, type OpenApiDocument, type ParameterLocation } from './openapi-document.js';
import { compileOperationPath, type OperationPath } from './operation-path.js';
import type { ParameterSpec } from './parameters.js';
import type { TypePlan } from './coerce.js';
import { formFieldSpecs, isJsonMediaType, parameterSpecs, planAt } from './parameter-specs.js';
import { convertDocument, documentResource, DOCUMENT_BASE } from './schema-convert.js';
import { explainingValidator, indexCompositions } from './composition-errors.js';
import { addStrictFormats } from './formats.js';
import { contractVerdict, type ContractOptions } from './contract-verdicts.js';

export type { ContractOptions } from './contract-verdicts.js';

export type BodyKind = 'json' | 'form' | 'other';

export interface CompiledMediaType {
  readonly mediaType: string;
  readonly kind: BodyKind;
  readonly validate: ValidateFunction | undefined;
  /** Form bodies: how each field is serialized (the Encoding Object). */
  readonly fields: readonly ParameterSpec[];
  /** Form bodies: which types each field's text may be read as. */
  readonly plan: TypePlan | undefined;
  /**
   * A wildcard declaration (`*\/*`, `application/*`) with a schema: how a body that arrives as JSON
   * or as a form is checked against it. Other content passes unparsed (uploads of any type).
   */
  readonly asJson?: CompiledMediaType;
  readonly asForm?: CompiledMediaType;
}

export interface LocationValidator {
  readonly specs: readonly ParameterSpec[];
  readonly validate: ValidateFunction | undefined;
  /** The types each parameter's text may be read as. */
  readonly plan: TypePlan;
}

export interface CompiledOperation {
  readonly operation: ContractOperation;
  readonly path: OperationPath;
  readonly parameters: Readonly<Record<ParameterLocation, LocationValidator>>;
  readonly body: { readonly required: boolean; readonly media: readonly CompiledMediaType[] } | undefined;
  /** Status key (`200`, `4XX`, `DEFAULT`) → media validators. */
  readonly responses: ReadonlyMap<string, readonly CompiledMediaType[]>;
}

export interface CompiledContract {
  readonly document: OpenApiDocument;
  readonly operations: readonly CompiledOperation[];
  readonly compileMs: number;
  findOperation(selector: { operationId?: string; method?: string; path?: string }): CompiledOperation | undefined;
}

const CONTRACT_ID = 'urn:portcullis:contract';
/** The same document with strict objects, for form bodies (validated with the parameters' instance). */
const STRICT_ID = 'urn:portcullis:contract:strict';

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    // Strict about keywords (the converter has removed every non-validation one on purpose),
    // lenient about typing styles real documents use (`properties` without `type: object`).
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    allErrors: true,
    // Never Ajv's coercion (JavaScript's `+value`): parameter texts are typed strictly by coerce.ts.
    coerceTypes: false,
    // Document patterns are ECMA-262 without the `u` flag, which would refuse escapes like `\-`.
    unicodeRegExp: false,
    // Referenced schemas compile once as functions of their own instead of being inlined into
    // every operation that uses them: much less code for large documents.
    inlineRefs: false,
    logger: false,
    // Errors carry their schema and value, so a failed oneOf can be explained by its closest
    // alternative (composition-errors.ts); neither is ever sent to the client.
    verbose: true,
    code: { optimize: process.env.AJV_OPT === '1' },
    // The schemas compiled here are the converter's output and the small wrappers built below, not
    // user input: meta-validating them compiled the 2020-12 meta-schema in each instance first
    // (hundreds of milliseconds, on the first request of a contract compiled on first use).
    validateSchema: false,
  });
  addStrictFormats(ajv);
  return ajv;
}

const KNOWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(newAjv().formats));

export { isJsonMediaType };

/** `#` + pointer, each token percent-encoded as a URI fragment (Ajv decodes them). */
function ref(pointer: string, id = CONTRACT_ID): string {
  return `${id}#${`${DOCUMENT_BASE}${pointer}`.split('/').map((token) => encodeURIComponent(token)).join('/')}`;
}

/** An Ajv instance with the converted documents added, whose compile gives explaining validators. */
interface ContractAjv {
  compile(schema: Record<string, unknown>): ValidateFunction;
}

function explaining(ajv: Ajv2020, documents: ReadonlyArray<readonly [string, Record<string, unknown>]>, onFirstUse: boolean): ContractAjv {
  const ids = new Map<object, string>();
  for (const [id, converted] of documents) {
    ajv.addSchema(documentResource(id, converted), undefined, undefined, false);
    if (!ids.has(converted)) ids.set(converted, id);
  }
  return { compile: (schema) => explainingValidator({ ajv, ids }, onFirstUse ? compiledOnFirstCall(ajv, schema) : ajv.compile(schema)) };
}

/**
 * A validator that Ajv compiles when it is first called: for a contract a worker thread has
 * already compiled whole (contract-prepare.ts), so it is known to compile. An operation nobody
 * calls is never compiled in the serving thread (Ajv's compile was 2.6 s of 3.7 s for a
 * 500-operation contract, issue 16); the first request of an operation pays its own compile.
 */
function compiledOnFirstCall(ajv: Ajv2020, schema: Record<string, unknown>): ValidateFunction {
  let inner: ValidateFunction | undefined;
  const validate = function compiledOnFirstCall(data: unknown): boolean {
    inner ??= ajv.compile(schema);
    const ok = inner(data) as boolean;
    validate.errors = inner.errors;
    return ok;
  } as ValidateFunction;
  return validate;
}

/**
 * Compiles every validator of a contract; `onFirstUse`: each when first called instead (only for
 * a contract known to compile: Ajv's errors would otherwise surface on a request).
 */
export function compileContract(document: OpenApiDocument, options: ContractOptions, onFirstUse = false): CompiledContract {
  const started = performance.now();
  const convert = (strictObjects: boolean, direction: 'request' | 'response') => convertDocument(document.raw, { version: document.version, strictObjects, direction, knownFormats: KNOWN_FORMATS });
  const plainDocument = convert(false, 'request');
  const strictDocument = options.strictBodies ? convert(true, 'request') : undefined;
  const responseDocument = options.responses ? convert(false, 'response') : undefined;
  for (const converted of [plainDocument, strictDocument, responseDocument]) if (converted) indexCompositions(converted);
  const plain = documentResource(CONTRACT_ID, plainDocument);
  // Meta-validation is skipped: the converter has produced every keyword, and Ajv's compile
  // (strict) refuses anything malformed in what it compiles.
  const bodies = explaining(newAjv(), [[CONTRACT_ID, strictDocument ?? plainDocument]], onFirstUse);
  const params = explaining(newAjv(), [[CONTRACT_ID, plainDocument], [STRICT_ID, strictDocument ?? plainDocument]], onFirstUse);
  // Responses: as the document says (no strict objects), read in the response direction.
  const responsesAjv = responseDocument ? explaining(newAjv(), [[CONTRACT_ID, responseDocument]], onFirstUse) : undefined;

  const operations = document.operations.map((operation) => {
    try {
      return compileOperation(operation, plain, bodies, params, responsesAjv);
    } catch (error) {
      if (error instanceof ContractError) throw error;
      throw new ContractError(operation.pointer.slice(1), ajvMessage(error));
    }
  });
  const byId = new Map(operations.filter((op) => op.operation.operationId !== undefined).map((op) => [op.operation.operationId!, op]));
  return {
    document,
    operations,
    compileMs: performance.now() - started,
    findOperation(selector) {
      if (selector.operationId !== undefined) return byId.get(selector.operationId);
      return operations.find((op) => op.operation.method === selector.method?.toUpperCase() && op.operation.path === selector.path);
    },
  };
}

/**
 * Ajv's compile error in the document's own terms: the schema resource it compiled wraps the
 * document under `$defs/document` with an internal id, so `urn:…#/%24defs/document/components/x`
 * becomes `#/components/x`, and "from id urn:…" goes (issue 12 §5: no internal paths in errors).
 */
export function ajvMessage(error: unknown): string {
  const message = ((error as Error).message ?? String(error))
    .replace(/ from id \S*/g, '')
    .replace(/(?:urn:portcullis:contract(?::strict)?)?#\/(?:%24|\$)defs\/document(\/[^\s"',]*)?/g, (_all, rest: string | undefined) => `#${rest === undefined ? '' : safeDecode(rest)}`)
    .replace(/urn:portcullis:contract(?::strict)?/g, 'the document');
  return `schema does not compile: ${message.slice(0, 300)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function compileOperation(operation: ContractOperation, plain: Record<string, unknown>, bodies: ContractAjv, params: ContractAjv, responses: ContractAjv | undefined): CompiledOperation {
  const path = compileOperationPath(operation.path, operation.pointer.slice(1));
  const locations = {} as Record<ParameterLocation, LocationValidator>;
  for (const location of ['path', 'query', 'header', 'cookie'] as const) {
    const declared = operation.parameters.filter((p) => p.in === location);
    // OpenAPI 3.1 §4.8.12.1: Accept, Content-Type and Authorization header parameters are ignored.
    const relevant = location === 'header' ? declared.filter((p) => !['accept', 'content-type', 'authorization'].includes(p.name.toLowerCase())) : declared;
    const { specs, plan } = parameterSpecs(plain, location, relevant);
    if (location === 'path') {
      for (const p of relevant) if (!operation.path.includes(`{${p.name}}`)) throw new ContractError(`${operation.pointer.slice(1)}/parameters`, `path parameter "${p.name}" is not in the path template ${operation.path}`);
    }
    const properties = Object.fromEntries(specs.map((spec, index) => [spec.key, relevant[index]!.schemaPointer === undefined ? {} : { $ref: ref(relevant[index]!.schemaPointer!) }]));
    const required = specs.filter((_, index) => relevant[index]!.required).map((spec) => spec.key);
    locations[location] = {
      specs,
      plan,
      validate: relevant.length === 0 ? undefined : params.compile({ type: 'object', properties, required }),
    };
  }
  const body = operation.requestBody && {
    required: operation.requestBody.required,
    media: operation.requestBody.content.map((media) => compileMedia(media, plain, bodies, params)),
  };
  const compiledResponses = new Map<string, CompiledMediaType[]>();
  if (responses) {
    for (const [status, media] of operation.responses) {
      compiledResponses.set(
        status,
        media.map((m) => ({ mediaType: m.mediaType, kind: isJsonMediaType(m.mediaType) ? 'json' : 'other', fields: [], plan: undefined, validate: m.schemaPointer !== undefined && isJsonMediaType(m.mediaType) ? responses.compile({ $ref: ref(m.schemaPointer) }) : undefined })),
      );
    }
  }
  return { operation, path, parameters: locations, body, responses: compiledResponses };
}

function compileMedia(media: ContractMediaType, plain: Record<string, unknown>, bodies: ContractAjv, params: ContractAjv): CompiledMediaType {
  const { mediaType, schemaPointer } = media;
  if (isJsonMediaType(mediaType)) {
    return { mediaType, kind: 'json', fields: [], plan: undefined, validate: schemaPointer === undefined ? undefined : bodies.compile({ $ref: ref(schemaPointer) }) };
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const form = schemaPointer === undefined ? { specs: [], plan: undefined } : formFieldSpecs(plain, schemaPointer, media.encoding);
    return { mediaType, kind: 'form', fields: form.specs, plan: form.plan, validate: schemaPointer === undefined ? undefined : params.compile({ $ref: ref(schemaPointer, STRICT_ID) }) };
  }
  const other: CompiledMediaType = { mediaType, kind: 'other', fields: [], plan: undefined, validate: undefined };
  // `*\/*` or `type/*` with a schema that describes structured data (a Kubernetes-style API declares
  // every JSON body this way): a body that arrives as JSON or as a form is checked against it. A
  // schema of a string (`format: binary`, an upload of any type) describes bytes: nothing to parse.
  if (mediaType.endsWith('/*') && schemaPointer !== undefined && !describesBytes(plain, schemaPointer)) {
    return {
      ...other,
      asJson: compileMedia({ ...media, mediaType: 'application/json' }, plain, bodies, params),
      asForm: mediaType === '*/*' || mediaType === 'application/*' ? compileMedia({ ...media, mediaType: 'application/x-www-form-urlencoded' }, plain, bodies, params) : undefined,
    };
  }
  return other;
}

/** The schema is a string (bytes of any kind, e.g. `type: string, format: binary`). */
function describesBytes(plain: Record<string, unknown>, pointer: string): boolean {
  const plan = planAt(plain, pointer);
  return plan.types.size === 1 && plan.types.has('string');
}

/** Ajv errors → request problems with JSON pointers under the location (`/body`, `/query`). */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined, location: string): Array<{ pointer: string; keyword: string; message: string }> {
  const all: Array<{ pointer: string; keyword: string; message: string }> = [];
  const out = { push: (problem: { pointer: string; keyword: string; message: string }) => all.push(problem) };
  for (const error of errors ?? []) {
    const base = `/${location}${truncatePointer(error.instancePath)}`;
    switch (error.keyword) {
      case 'required':
        out.push({ pointer: `${base}/${escapePointer(truncate(String(error.params.missingProperty)))}`, keyword: 'required', message: 'is required' });
        break;
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        const name = String(error.params.additionalProperty ?? error.params.unevaluatedProperty);
        out.push({ pointer: `${base}/${escapePointer(truncate(name))}`, keyword: error.keyword, message: 'is not a property the contract allows here' });
        break;
      }
      // `properties: { name: false }`: a property that must not be there (composition.ts).
      case 'false schema':
        out.push({ pointer: base, keyword: 'notAllowed', message: 'is not allowed here' });
        break;
      // A failed branch of anyOf/oneOf/if reports its own errors too; the summary is noise.
      case 'if':
        break;
      default:
        out.push({ pointer: base, keyword: error.keyword, message: error.message ?? 'is not valid' });
    }
  }
  // The same problem found through two paths of a composition is one problem.
  const seen = new Set<string>();
  return all.filter((problem) => {
    const key = `${problem.pointer}\0${problem.keyword}\0${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function truncate(token: string): string {
  return token.length > 64 ? `${token.slice(0, 64)}…` : token;
}

function truncatePointer(pointer: string): string {
  return pointer.split('/').map((token) => truncate(token)).join('/');
}

function touch(key: string, entry: CacheEntry): CompiledContract {
  cache.delete(key);
  cache.set(key, entry);
  return entry.compiled;
}

// ---- Load-once cache -------------------------------------------------------------------------

interface CacheEntry {
  /** mtime, size and inode: an unchanged file is not read again (routes generated from one document share it). */
  stamp: string;
  readonly hash: string;
  readonly compiled: CompiledContract;
}

/** Compiled contracts by file and options: a config check and the policies it creates share one compile. */
const cache = new Map<string, CacheEntry>();
const CACHE_SIZE = 16;

/** mtime, size and inode: an unchanged file is not read again. */
const fileStamp = (stat: Stats) => `${stat.mtimeMs}:${stat.size}:${stat.ino}`;

/**
 * The parsed document of a contract file: that of a contract compiled from the same unchanged file
 * when there is one (the config loader compiles a contractRoutes document before it expands it:
 * parsing GitHub's 700 operations again took a quarter of a second), else read and parsed.
 */
export function readContractDocument(path: string): OpenApiDocument {
  try {
    const stamp = fileStamp(statSync(path));
    for (const [key, entry] of cache) if (key.startsWith(`${path}\0`) && entry.stamp === stamp) return entry.compiled.document;
  } catch {
    // Unreadable: readOpenApiFile says why.
  }
  return readOpenApiFile(path);
}

/**
 * Reads and compiles a contract file, or returns the compiled one when the file's bytes have not
 * changed. Throws ContractError with the problem and where it is.
 */
export function loadContract(path: string, options: ContractOptions): CompiledContract {
  let bytes: Buffer;
  let stamp: string;
  const key = `${path}\0${options.strictBodies}\0${options.responses}`;
  const hit = cache.get(key);
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ContractError('', `${path} is not a file`);
    stamp = fileStamp(stat);
    if (hit && hit.stamp === stamp) return touch(key, hit);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof ContractError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ContractError('', `cannot read ${path}: ${reason}`);
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  if (hit && hit.hash === hash) {
    hit.stamp = stamp;
    return touch(key, hit);
  }
  // A worker thread may already have compiled these bytes (contract-prepare.ts): then the verdict
  // stands for the load-time check, and the validators compile when first used.
  const verdict = contractVerdict(hash, options);
  if (verdict?.ok === false) throw new ContractError('', verdict.message);
  const compiled = compileContract(parseOpenApi(bytes), options, verdict?.ok === true);
  cache.set(key, { stamp, hash, compiled });
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return compiled;
}
