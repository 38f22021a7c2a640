/**
 * Reads an OpenAPI 3.0 or 3.1 document (YAML or JSON) and lists its operations with their
 * parameters, request bodies and responses, OpenAPI-level `$ref`s (parameters, request bodies,
 * responses, headers) already followed. Only local references (`#/...`) are allowed: the gateway
 * never fetches anything at load or at run time, so a remote `$ref` is a config error.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { forEachSchemaRef, mapDocument } from './document-walk.js';

export const HTTP_OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export type OpenApiVersion = '3.0' | '3.1';
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

/** A problem in the document, with where it is (a JSON pointer into the document). */
export class ContractError extends Error {
  constructor(readonly pointer: string, message: string) {
    super(pointer === '' ? message : `${pointer}: ${message}`);
    this.name = 'ContractError';
  }
}

export interface ContractParameter {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly style: string;
  readonly explode: boolean;
  /** Pointer to the parameter's schema, if it has one. */
  readonly schemaPointer: string | undefined;
  /** `content` instead of `schema`: the value is a serialized document of this media type. */
  readonly contentMediaType: string | undefined;
}

export interface ContractMediaType {
  readonly mediaType: string;
  readonly schemaPointer: string | undefined;
  /** Form bodies: how each property is serialized (OpenAPI 3.0.3 §4.7.15 Encoding Object), by property name. */
  readonly encoding: ReadonlyMap<string, PropertyEncoding>;
}

export interface PropertyEncoding {
  readonly style: string | undefined;
  readonly explode: boolean | undefined;
  readonly contentType: string | undefined;
}

export interface ContractOperation {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path template as in the document: /pets/{petId}. */
  readonly path: string;
  readonly operationId: string | undefined;
  /** `#/paths/~1pets~1{petId}/get` */
  readonly pointer: string;
  readonly parameters: readonly ContractParameter[];
  readonly requestBody: { readonly required: boolean; readonly content: readonly ContractMediaType[] } | undefined;
  /** By status key as written in the document: `200`, `4XX`, `default`. */
  readonly responses: ReadonlyMap<string, readonly ContractMediaType[]>;
}

export interface OpenApiDocument {
  readonly version: OpenApiVersion;
  readonly raw: Record<string, unknown>;
  /** sha256 of the file's bytes: the compile cache key. */
  readonly hash: string;
  readonly operations: readonly ContractOperation[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 6901 §3: `~` → `~0`, `/` → `~1`. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function readOpenApiFile(path: string): OpenApiDocument {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ContractError('', `cannot read ${path}: ${reason}`);
  }
  return parseOpenApi(bytes);
}

export function parseOpenApi(bytes: Buffer | string): OpenApiDocument {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const hash = createHash('sha256').update(text).digest('hex');
  let raw: unknown;
  // JSON first (fast for the multi-megabyte documents APIs publish); YAML 1.2 for the rest.
  // Duplicate keys are errors in YAML; JSON.parse keeps the last, as JSON documents are generated.
  if (/^\s*\{/.test(text)) {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ContractError('', `not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const document = parseDocument(text, { uniqueKeys: true });
    if (document.errors.length > 0) throw new ContractError('', `not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
    raw = document.toJS({ maxAliasCount: 1000 });
  }
  if (!isObject(raw)) throw new ContractError('', 'is not an OpenAPI document (expected a mapping)');
  const declared = typeof raw.openapi === 'string' ? raw.openapi : '';
  const version: OpenApiVersion | undefined = /^3\.0\.\d+/.test(declared) ? '3.0' : /^3\.1\.\d+/.test(declared) ? '3.1' : undefined;
  if (!version) throw new ContractError('/openapi', `OpenAPI 3.0.x or 3.1.x is required (found ${JSON.stringify(declared).slice(0, 40)})`);
  checkReferences(raw);
  return { version, raw, hash, operations: listOperations(raw) };
}

/**
 * Every `$ref` the gateway follows must point inside this document, and resolve: Reference Objects
 * in place of parameters, bodies, responses, headers, path items and callbacks, and `$ref`s of
 * schemas. The walk follows the OpenAPI object model, so names (components, properties, headers)
 * that look like extensions or example keys are checked like any other (issue #12 §3).
 */
function checkReferences(root: Loose): void {
  const check = (ref: string, pointer: string): void => {
    if (!ref.startsWith('#')) throw new ContractError(pointer, `remote reference "${ref.slice(0, 200)}" is not allowed: the gateway resolves references only inside the document`);
    if (resolvePointer(root, ref) === undefined) throw new ContractError(pointer, `reference "${ref.slice(0, 200)}" does not resolve`);
  };
  mapDocument(root, {
    schema(schema, pointer) {
      forEachSchemaRef(schema, pointer, check);
      return schema;
    },
    reference: (ref, pointer) => check(ref, `${pointer}/$ref`),
  });
}

/** Resolves `#/a/b~1c` in the document; undefined if it does not exist. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#' || ref === '#/') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, token)) node = node[token];
    else return undefined;
  }
  return node;
}

/** Follows OpenAPI-level `$ref`s (a Reference Object) to the object and the pointer where it lives. */
function follow(root: Loose, node: unknown, pointer: string): { value: Loose; pointer: string } {
  let current = node;
  let at = pointer;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new ContractError(at, 'reference chain is too long (a cycle?)');
    at = current.$ref;
    current = resolvePointer(root, current.$ref);
  }
  if (!isObject(current)) throw new ContractError(at, 'must be an object');
  return { value: current, pointer: at.startsWith('#') ? at.slice(1) : at };
}

function listOperations(root: Loose): ContractOperation[] {
  const paths = root.paths;
  if (paths === undefined) return [];
  if (!isObject(paths)) throw new ContractError('/paths', 'must be an object');
  const operations: ContractOperation[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    if (path.startsWith('x-')) continue;
    const itemPointer = `/paths/${escapePointer(path)}`;
    if (!path.startsWith('/')) throw new ContractError(itemPointer, 'a path must start with "/"');
    const item = follow(root, rawItem, itemPointer);
    const shared = parameterList(root, item.value.parameters, `${item.pointer}/parameters`);
    for (const method of HTTP_OPERATION_METHODS) {
      const rawOperation = item.value[method];
      if (rawOperation === undefined) continue;
      const pointer = `${item.pointer}/${method}`;
      if (!isObject(rawOperation)) throw new ContractError(pointer, 'must be an object');
      const own = parameterList(root, rawOperation.parameters, `${pointer}/parameters`);
      // An operation's parameter replaces the path item's of the same name and location.
      const merged = new Map<string, ContractParameter>();
      for (const parameter of [...shared, ...own]) merged.set(`${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`, parameter);
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: typeof rawOperation.operationId === 'string' ? rawOperation.operationId : undefined,
        pointer: `#${pointer}`,
        parameters: [...merged.values()],
        requestBody: rawOperation.requestBody === undefined ? undefined : requestBody(root, rawOperation.requestBody, `${pointer}/requestBody`),
        responses: responses(root, rawOperation.responses, `${pointer}/responses`),
      });
    }
  }
  checkUniqueOperationIds(operations);
  return operations;
}

function checkUniqueOperationIds(operations: readonly ContractOperation[]): void {
  const seen = new Map<string, string>();
  for (const operation of operations) {
    if (operation.operationId === undefined) continue;
    const first = seen.get(operation.operationId);
    if (first) throw new ContractError(operation.pointer.slice(1), `operationId "${operation.operationId}" is already used by ${first}`);
    seen.set(operation.operationId, operation.pointer);
  }
}

const DEFAULT_STYLE: Record<ParameterLocation, string> = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' };

function parameterList(root: Loose, list: unknown, pointer: string): ContractParameter[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ContractError(pointer, 'must be an array');
  return list.map((entry, index) => {
    const { value, pointer: at } = follow(root, entry, `${pointer}/${index}`);
    const location = value.in;
    if (location !== 'path' && location !== 'query' && location !== 'header' && location !== 'cookie') throw new ContractError(`${at}/in`, 'must be path, query, header or cookie');
    if (typeof value.name !== 'string' || value.name === '') throw new ContractError(`${at}/name`, 'must be a non-empty string');
    const style = typeof value.style === 'string' ? value.style : DEFAULT_STYLE[location];
    const content = isObject(value.content) ? Object.keys(value.content) : [];
    if (value.schema === undefined && content.length !== 1) throw new ContractError(at, 'a parameter needs a schema or exactly one content entry');
    return {
      name: value.name,
      in: location,
      // OpenAPI 3.x: a path parameter is always required.
      required: location === 'path' || value.required === true,
      style,
      explode: typeof value.explode === 'boolean' ? value.explode : style === 'form',
      schemaPointer: value.schema !== undefined ? `${at}/schema` : isObject((value.content as Loose)[content[0]!]) && ((value.content as Loose)[content[0]!] as Loose).schema !== undefined ? `${at}/content/${escapePointer(content[0]!)}/schema` : undefined,
      contentMediaType: value.schema === undefined ? content[0]!.toLowerCase() : undefined,
    };
  });
}

function mediaTypes(content: unknown, pointer: string): ContractMediaType[] {
  if (content === undefined) return [];
  if (!isObject(content)) throw new ContractError(pointer, 'must be an object');
  return Object.entries(content).map(([mediaType, entry]) => ({
    mediaType: mediaType.toLowerCase().split(';')[0]!.trim(),
    schemaPointer: isObject(entry) && entry.schema !== undefined ? `${pointer}/${escapePointer(mediaType)}/schema` : undefined,
    encoding: encodingOf(isObject(entry) ? entry.encoding : undefined),
  }));
}

function encodingOf(raw: unknown): Map<string, PropertyEncoding> {
  const found = new Map<string, PropertyEncoding>();
  if (!isObject(raw)) return found;
  for (const [name, entry] of Object.entries(raw)) {
    if (!isObject(entry)) continue;
    found.set(name, {
      style: typeof entry.style === 'string' ? entry.style : undefined,
      explode: typeof entry.explode === 'boolean' ? entry.explode : undefined,
      contentType: typeof entry.contentType === 'string' ? entry.contentType.toLowerCase().split(';')[0]!.trim() : undefined,
    });
  }
  return found;
}

function requestBody(root: Loose, raw: unknown, pointer: string): ContractOperation['requestBody'] {
  const { value, pointer: at } = follow(root, raw, pointer);
  return { required: value.required === true, content: mediaTypes(value.content, `${at}/content`) };
}

function responses(root: Loose, raw: unknown, pointer: string): Map<string, ContractMediaType[]> {
  const found = new Map<string, ContractMediaType[]>();
  if (raw === undefined) return found;
  if (!isObject(raw)) throw new ContractError(pointer, 'must be an object');
  for (const [status, entry] of Object.entries(raw)) {
    if (status.startsWith('x-')) continue;
    const { value, pointer: at } = follow(root, entry, `${pointer}/${escapePointer(status)}`);
    found.set(status.toUpperCase(), mediaTypes(value.content, `${at}/content`));
  }
  return found;
}
