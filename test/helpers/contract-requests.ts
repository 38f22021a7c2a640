/**
 * The false-rejection measurement (issue #12): valid requests built from an OpenAPI document
 * itself (every operation: path, query, header and cookie parameters serialized by their style,
 * and JSON bodies from the schemas), sent through a real gateway (the document bound whole, strict
 * objects, unknown query parameters refused) in front of an echo upstream. Every request the
 * gateway refuses is a false rejection; the target is none. The requests that reach the upstream
 * are compared with what was sent (method, target, body bytes): the gateway forwards what it
 * validated.
 */
import { ContractError, readOpenApiFile, resolvePointer, type ContractOperation, type ContractParameter, type OpenApiDocument } from '../../src/openapi/openapi-document.js';
import { baseConfig, httpRequest, startGateway, startUpstream } from './index.js';
import { CannotMake, SchemaValues } from './schema-values.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface GeneratedRequest {
  readonly operation: string;
  readonly method: string;
  /** Path and query, as sent. */
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

export interface GenerationResult {
  readonly requests: GeneratedRequest[];
  /** Requests the generator could not make (with why): not counted either way. */
  readonly skipped: Array<{ operation: string; reason: string }>;
}

const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization', 'content-length', 'host', 'connection', 'transfer-encoding', 'cookie']);
const enc = (value: unknown) => encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value));
const text = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));

/** One parameter value → the `name=value` pairs (query, cookie) or the one string (path, header) its style makes (OpenAPI 3.1 §4.8.12.4). */
function serialize(parameter: ContractParameter, value: unknown): { pairs?: Array<[string, string]>; single?: string } {
  const { style, explode, name } = parameter;
  if (parameter.contentMediaType !== undefined) {
    const raw = JSON.stringify(value);
    return parameter.in === 'query' || parameter.in === 'cookie' ? { pairs: [[enc(name), parameter.in === 'cookie' ? raw : enc(raw)]] } : { single: parameter.in === 'path' ? enc(raw) : raw };
  }
  const escape = parameter.in === 'header' || parameter.in === 'cookie' ? text : (v: unknown) => enc(text(v));
  if (Array.isArray(value)) {
    const items = value.map(escape);
    if (parameter.in === 'query' || parameter.in === 'cookie') {
      if (style === 'form' && explode) return { pairs: items.map((item) => [enc(name), item]) };
      const joiner = style === 'spaceDelimited' ? '%20' : style === 'pipeDelimited' ? '|' : ',';
      return { pairs: [[enc(name), items.join(joiner)]] };
    }
    const joined = items.join(',');
    return { single: style === 'label' ? `.${items.join(explode ? '.' : ',')}` : style === 'matrix' ? (explode ? items.map((item) => `;${name}=${item}`).join('') : `;${name}=${joined}`) : joined };
  }
  if (isObject(value)) {
    const entries = Object.entries(value).map(([key, v]) => [escape(key), escape(v)] as const);
    if (parameter.in === 'query' || parameter.in === 'cookie') {
      if (style === 'deepObject') return { pairs: entries.map(([key, v]) => [`${enc(name)}[${key}]`, v]) };
      if (style === 'form' && explode) return { pairs: entries.map(([key, v]) => [key, v]) };
      return { pairs: [[enc(name), entries.flat().join(',')]] };
    }
    const joined = explode ? entries.map(([key, v]) => `${key}=${v}`).join(',') : entries.flat().join(',');
    return { single: style === 'label' ? `.${joined}` : style === 'matrix' ? `;${explode ? joined.replace(/,/g, ';') : `${name}=${joined}`}` : joined };
  }
  const scalar = escape(value);
  if (parameter.in === 'query' || parameter.in === 'cookie') return { pairs: [[enc(name), scalar]] };
  return { single: style === 'label' ? `.${scalar}` : style === 'matrix' ? `;${name}=${scalar}` : scalar };
}

function bodyFor(document: OpenApiDocument, values: SchemaValues, operation: ContractOperation, full: boolean, variant: number): { type: string; body: string } | undefined {
  const body = operation.requestBody;
  if (!body || body.content.length === 0 || (!body.required && !full)) return undefined;
  const json = body.content.find((m) => m.mediaType === 'application/json' || m.mediaType.endsWith('+json'));
  if (json) {
    const schema = json.schemaPointer === undefined ? {} : resolvePointer(document.raw, `#${json.schemaPointer}`);
    return { type: json.mediaType, body: JSON.stringify(values.make(schema, { full, variant })) };
  }
  const form = body.content.find((m) => m.mediaType === 'application/x-www-form-urlencoded');
  if (form) {
    const value = form.schemaPointer === undefined ? {} : values.make(resolvePointer(document.raw, `#${form.schemaPointer}`), { full, variant });
    if (!isObject(value)) throw new CannotMake('a form body that is not an object');
    const pairs: string[] = [];
    for (const [key, field] of Object.entries(value)) {
      if (isObject(field)) throw new CannotMake('a nested form field (encoding/deepObject)');
      for (const item of Array.isArray(field) ? field : [field]) pairs.push(`${enc(key)}=${enc(text(item))}`);
    }
    return { type: form.mediaType, body: pairs.join('&') };
  }
  // Other media types are checked for their Content-Type only.
  const other = body.content[0]!.mediaType;
  return { type: other.includes('*') ? 'application/octet-stream' : other, body: 'opaque bytes' };
}

/**
 * Requests for every operation: `variants` per operation (0: every parameter and optional
 * property; 1: only what is required; 2 and more: every parameter, other enum values and oneOf
 * alternatives).
 */
export function generateRequests(document: OpenApiDocument, variants = 2): GenerationResult {
  const values = new SchemaValues(document.raw, document.version);
  const requests: GeneratedRequest[] = [];
  const skipped: GenerationResult['skipped'] = [];
  for (const operation of document.operations) {
    if (operation.method === 'TRACE') continue;
    const name = operation.operationId ?? `${operation.method} ${operation.path}`;
    for (let variant = 0; variant < variants; variant++) {
      const full = variant !== 1;
      try {
        let path = operation.path;
        const query: string[] = [];
        const headers: Record<string, string> = {};
        const cookies: string[] = [];
        for (const parameter of operation.parameters) {
          if (!parameter.required && !full) continue;
          if (parameter.in === 'header' && IGNORED_HEADERS.has(parameter.name.toLowerCase())) continue;
          const schema = parameter.schemaPointer === undefined ? {} : resolvePointer(document.raw, `#${parameter.schemaPointer}`);
          const serialized = serialize(parameter, values.make(schema, { full, variant }));
          if (parameter.in === 'path') path = path.split(`{${parameter.name}}`).join(serialized.single!);
          else if (parameter.in === 'header') headers[parameter.name.toLowerCase()] = serialized.single!;
          else if (parameter.in === 'query') query.push(...serialized.pairs!.map(([key, value]) => `${key}=${value}`));
          else cookies.push(...serialized.pairs!.map(([key, value]) => `${key}=${value}`));
        }
        if (cookies.length > 0) headers.cookie = cookies.join('; ');
        const body = bodyFor(document, values, operation, full, variant);
        if (body) headers['content-type'] = body.type;
        requests.push({ operation: name, method: operation.method, target: `${path}${query.length > 0 ? `?${query.join('&')}` : ''}`, headers, body: body?.body });
      } catch (error) {
        if (!(error instanceof CannotMake)) throw error;
        skipped.push({ operation: name, reason: error.message });
      }
    }
  }
  return { requests, skipped };
}

export interface Refusal {
  readonly request: GeneratedRequest;
  readonly status: number;
  readonly errors: unknown;
}

export interface Measurement {
  readonly contract: string;
  readonly operations: number;
  readonly requests: number;
  readonly skipped: GenerationResult['skipped'];
  readonly refused: Refusal[];
  /** Accepted requests that reached the upstream different from how they were sent. */
  readonly altered: Array<{ request: GeneratedRequest; what: string }>;
}

/** Loads `file`, generates its requests, and sends them through a gateway in front of an echo upstream. */
export async function measureContract(file: string, options: { variants?: number; concurrency?: number; binding?: 'document' | 'routes' } = {}): Promise<Measurement> {
  let document: OpenApiDocument;
  try {
    document = readOpenApiFile(file);
  } catch (error) {
    if (error instanceof ContractError) throw new Error(`${file} does not load: ${error.message}`);
    throw error;
  }
  const generated = generateRequests(document, options.variants ?? 2);
  const upstream = await startUpstream();
  const validate = { contract: file, unknownBodyProperties: 'reject', unknownQueryParameters: 'reject', limits: { maxBodyBytes: 10 * 1024 * 1024 } };
  // The whole document bound to one route, or one route per operation (contractRoutes).
  const routing = options.binding === 'routes'
    ? { routes: undefined, contractRoutes: [{ contract: file, upstream: 'backend', policies: { validate: { ...validate, contract: undefined } } }] }
    : { routes: [{ name: 'contract', methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], path: '/*', upstream: 'backend', policies: { validate } }] };
  const config = baseConfig([upstream.url], routing);
  if (config.routes === undefined) delete config.routes;
  const gw = await startGateway(JSON.parse(JSON.stringify(config)) as Record<string, unknown>);
  const refused: Refusal[] = [];
  const altered: Measurement['altered'] = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < generated.requests.length) {
        const id = String(next);
        const request = generated.requests[next++]!;
        // Content-Length always: Node's client would send a DELETE body without any framing.
        const length: Record<string, string> = request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) };
        const reply = await httpRequest(`${gw.url}${request.target}`, { method: request.method, headers: { ...request.headers, ...length, 'x-measure-id': id }, body: request.body });
        if (reply.status !== 200) {
          refused.push({ request, status: reply.status, errors: reply.text.startsWith('{') ? (JSON.parse(reply.text) as Loose).errors ?? (JSON.parse(reply.text) as Loose).detail : reply.text });
          continue;
        }
        const seen = upstream.requests.find((r) => r.headers['x-measure-id'] === id);
        if (seen && seen.url !== request.target) altered.push({ request, what: `target ${seen.url}` });
        else if (seen && request.body !== undefined && request.method !== 'HEAD' && seen.body.toString() !== request.body) altered.push({ request, what: 'body' });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    await gw.close();
    await upstream.close();
  }
  return { contract: file, operations: document.operations.length, requests: generated.requests.length, skipped: generated.skipped, refused, altered };
}
