/**
 * Walks an OpenAPI 3.0/3.1 document by its object model, so that what a key means depends on where
 * it is (issue #12 §3): in a specification object (Operation, Parameter, Components ...) a key that
 * starts with `x-` is an extension and `example`/`examples` hold example data, but in a map whose
 * keys are names (`components.parameters`, `properties`, response `headers`, `encoding`,
 * `callbacks`, media types ...) every key is data: a header parameter component named
 * `x-fapi-auth-date` or a property named `examples` is part of the contract.
 *
 * The walker yields every schema position (to convert or check it) and every Reference Object that
 * stands in for a specification object (to check it); it never interprets what it does not know:
 * such fields are copied as they are.
 */

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 6901 §3: `~` → `~0`, `/` → `~1`. */
function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Specification objects the gateway reads; `opaque` ones are only checked for references. */
type Kind = 'document' | 'paths' | 'pathItem' | 'operation' | 'parameter' | 'requestBody' | 'mediaType' | 'encoding' | 'responses' | 'response' | 'components' | 'callback' | 'opaque' | 'schema';
type Field = Kind | { readonly map: Kind } | { readonly list: Kind };

interface ObjectModel {
  readonly fields: Readonly<Record<string, Field>>;
  /** Patterned fields (Paths, Responses, Callback): every key that is not an extension. */
  readonly patterned?: Kind;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// OpenAPI 3.1 §4.8 (3.0.3 §4.7): the objects on the way from the root to schemas.
const MODEL: Readonly<Record<Exclude<Kind, 'schema' | 'opaque'>, ObjectModel>> = {
  document: { fields: { paths: 'paths', components: 'components', webhooks: { map: 'pathItem' } } },
  paths: { fields: {}, patterned: 'pathItem' },
  pathItem: { fields: { parameters: { list: 'parameter' }, ...Object.fromEntries(METHODS.map((method) => [method, 'operation'])) } },
  operation: { fields: { parameters: { list: 'parameter' }, requestBody: 'requestBody', responses: 'responses', callbacks: { map: 'callback' } } },
  // A Header Object has a Parameter Object's shape (without name and in).
  parameter: { fields: { schema: 'schema', content: { map: 'mediaType' } } },
  requestBody: { fields: { content: { map: 'mediaType' } } },
  mediaType: { fields: { schema: 'schema', encoding: { map: 'encoding' } } },
  encoding: { fields: { headers: { map: 'parameter' } } },
  responses: { fields: {}, patterned: 'response' },
  response: { fields: { headers: { map: 'parameter' }, content: { map: 'mediaType' }, links: { map: 'opaque' } } },
  components: {
    fields: {
      schemas: { map: 'schema' },
      responses: { map: 'response' },
      parameters: { map: 'parameter' },
      requestBodies: { map: 'requestBody' },
      headers: { map: 'parameter' },
      securitySchemes: { map: 'opaque' },
      links: { map: 'opaque' },
      callbacks: { map: 'callback' },
      pathItems: { map: 'pathItem' },
    },
  },
  callback: { fields: {}, patterned: 'pathItem' },
};

/** JSON Schema keywords whose value is one schema. */
export const SCHEMA_VALUED = ['additionalProperties', 'items', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties'];
/** JSON Schema keywords whose value is a map of schemas (its keys are names, never keywords). */
export const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs'];
/** JSON Schema keywords whose value is a list of schemas. */
export const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

export interface DocumentVisitor {
  /** A schema position (`schema`, `components.schemas.*`): the value the copy gets there. */
  schema(schema: unknown, pointer: string): unknown;
  /** A Reference Object in place of a specification object (a parameter, a response ...). */
  reference(ref: string, pointer: string): void;
}

/**
 * A copy of the document with every schema position replaced by what the visitor returns.
 * Extensions and example data of specification objects are left out (they say nothing the
 * gateway checks); fields the model does not describe (info, servers, security ...) are kept as
 * they are, not walked.
 */
export function mapDocument(root: Loose, visitor: DocumentVisitor): Loose {
  const walk = (node: unknown, kind: Kind, pointer: string): unknown => {
    if (kind === 'schema') return visitor.schema(node, pointer);
    if (!isObject(node)) return node;
    if (typeof node.$ref === 'string') {
      visitor.reference(node.$ref, pointer);
      return node;
    }
    if (kind === 'opaque') return node;
    const model = MODEL[kind];
    const copy: Loose = {};
    for (const [key, value] of Object.entries(node)) {
      // Extensions, and example data (`example`, `examples`, `components.examples`): never a constraint.
      if (key.startsWith('x-') || key === 'example' || key === 'examples') continue;
      const at = `${pointer}/${escapeToken(key)}`;
      const field = model.fields[key] ?? model.patterned;
      if (field === undefined) copy[key] = value;
      else if (typeof field === 'string') copy[key] = walk(value, field, at);
      else if ('map' in field) copy[key] = isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, child]) => [name, walk(child, field.map, `${at}/${escapeToken(name)}`)])) : value;
      else copy[key] = Array.isArray(value) ? value.map((child, index) => walk(child, field.list, `${at}/${index}`)) : value;
    }
    return copy;
  };
  return walk(root, 'document', '') as Loose;
}

/**
 * Calls `visit` for every `$ref` of a schema and its subschemas, by JSON Schema keyword: names in
 * `properties` are data, and so are `enum`, `const`, `default` and example values.
 */
export function forEachSchemaRef(schema: unknown, pointer: string, visit: (ref: string, pointer: string) => void): void {
  if (!isObject(schema)) return;
  if (typeof schema.$ref === 'string') visit(schema.$ref, `${pointer}/$ref`);
  for (const keyword of SCHEMA_VALUED) {
    const value = schema[keyword];
    if (isObject(value)) forEachSchemaRef(value, `${pointer}/${keyword}`, visit);
    else if (keyword === 'items' && Array.isArray(value)) value.forEach((child, index) => forEachSchemaRef(child, `${pointer}/items/${index}`, visit));
  }
  for (const keyword of SCHEMA_MAPS) {
    const value = schema[keyword];
    if (isObject(value)) for (const [name, child] of Object.entries(value)) forEachSchemaRef(child, `${pointer}/${keyword}/${escapeToken(name)}`, visit);
  }
  for (const keyword of SCHEMA_LISTS) {
    const value = schema[keyword];
    if (Array.isArray(value)) value.forEach((child, index) => forEachSchemaRef(child, `${pointer}/${keyword}/${index}`, visit));
  }
}
