/**
 * Turns an OpenAPI document's schemas into JSON Schema 2020-12 that Ajv compiles in strict mode,
 * deliberately rather than by switching strictness off:
 * - OpenAPI 3.0's dialect is rewritten (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`,
 *   `$ref` siblings ignored as 3.0 says);
 * - annotations and OpenAPI-only keywords (`example`, `discriminator`, `xml`, `externalDocs`,
 *   `x-*`, ...) are dropped: they do not constrain values;
 * - formats Ajv does not know are dropped (formats are open-ended annotations in OpenAPI);
 * - optionally, "strict objects": an object schema that lists its properties refuses unknown ones
 *   (`unevaluatedProperties: false`), placed where a value is validated, not inside `allOf`
 *   branches, so composition still works.
 * The whole document is copied with every schema position converted, so references keep their
 * pointers and Ajv resolves them inside one schema resource.
 */
import { closeAlternatives, dispatchByDiscriminator, namesOf, requiredNames } from './composition.js';
import { mapDocument, SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_VALUED } from './document-walk.js';
import { ContractError, escapePointer, resolvePointer, type OpenApiVersion } from './openapi-document.js';

/** Keywords that constrain values (JSON Schema 2020-12, as Ajv's 2020 dialect knows them). */
const VALIDATION_KEYWORDS = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains',
  'maxProperties', 'minProperties', 'required', 'dependentRequired', 'format', '$ref', '$defs',
  'properties', 'patternProperties', 'additionalProperties', 'items', 'prefixItems', 'contains',
  'propertyNames', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas',
  'unevaluatedItems', 'unevaluatedProperties',
]);
/** Positions where a value is validated on its own (not one branch of a composition). */
const VALUE_POSITIONS = new Set(['additionalProperties', 'items', 'properties', 'patternProperties', 'prefixItems', 'unevaluatedProperties', 'unevaluatedItems']);
/** Keywords this gateway refuses: they change how references resolve, which would break the one-resource model. */
const UNSUPPORTED = ['$id', '$dynamicRef', '$dynamicAnchor', '$recursiveRef', '$recursiveAnchor'];

export interface ConvertOptions {
  readonly version: OpenApiVersion;
  /** Object schemas that list properties refuse unknown ones. */
  readonly strictObjects: boolean;
  /**
   * Which way the data flows: a required `readOnly` property is required in responses only, a
   * required `writeOnly` one in requests only (OpenAPI 3.0.3 §4.7.24.3, 3.1 via JSON Schema's
   * annotations, same reading).
   */
  readonly direction: 'request' | 'response';
  readonly knownFormats: ReadonlySet<string>;
}

/**
 * Where the converted document sits in the schema resource Ajv gets: under `$defs`, so the
 * resource's root is a valid schema (Ajv compiles it when something refers into it) and document
 * keys like `openapi` or `paths` are never read as keywords.
 */
export const DOCUMENT_BASE = '/$defs/document';

/** Wraps a converted document as the one schema resource validators refer into. */
export function documentResource(id: string, converted: Loose): Loose {
  return { $id: id, $defs: { document: converted } };
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A copy of the document where every schema is converted. The OpenAPI objects around schemas
 * (paths, parameters, media types, components) are walked by the object model (document-walk.ts),
 * so a component or property whose name starts with `x-` is kept; extensions and example values
 * are left out. A schema that a `$ref` reaches outside those positions (under an extension, say)
 * is converted where it lies, so every reference Ajv follows lands on a converted schema.
 */
export function convertDocument(root: Loose, options: ConvertOptions): Loose {
  const converter = new SchemaConverter(root, options);
  const converted = new Set<string>();
  const copy = mapDocument(root, {
    schema(schema, pointer) {
      converted.add(pointer);
      // `schema` fields validate a value; components are reached through `$ref`s from such places.
      return converter.convert(schema, pointer, !/^\/components\/schemas\/[^/]+$/.test(pointer));
    },
    reference() {},
  });
  const covered = (pointer: string): boolean => {
    for (let end = pointer.length; end > 0; end = pointer.lastIndexOf('/', end - 1)) if (converted.has(pointer.slice(0, end))) return true;
    return false;
  };
  for (let target = converter.takeReference(); target !== undefined; target = converter.takeReference()) {
    if (covered(target)) continue;
    const schema = resolvePointer(root, `#${target}`);
    if (schema === undefined) throw new ContractError(target, 'a reference to this place does not resolve');
    converted.add(target);
    setPointer(copy, target, converter.convert(schema, target, false));
  }
  return copy;
}

/**
 * A `oneOf` that lists the same alternative twice (generated documents do) can match nothing: a
 * value valid for one copy is valid for the other. Each alternative is kept once (compared as
 * converted, so annotations do not count). Returns the source with the same alternatives kept.
 */
function dropRepeatedAlternatives(source: Loose, out: Loose): Loose {
  if (!Array.isArray(out.oneOf) || !Array.isArray(source.oneOf)) return source;
  const seen = new Set<string>();
  const keep = out.oneOf.map((alternative) => {
    const key = JSON.stringify(alternative);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (keep.every(Boolean)) return source;
  out.oneOf = out.oneOf.filter((_, index) => keep[index]);
  return { ...source, oneOf: source.oneOf.filter((_, index) => keep[index]) };
}

/** Puts a value at a pointer in the copy, copying the objects on the way (they may be the document's own). */
function setPointer(root: Loose, pointer: string, value: unknown): void {
  const tokens = pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: Record<string, unknown> | unknown[] = root;
  for (const token of tokens.slice(0, -1)) {
    const current: unknown = (node as Record<string, unknown>)[token];
    const next: Record<string, unknown> | unknown[] = Array.isArray(current) ? [...current] : isObject(current) ? { ...current } : {};
    (node as Record<string, unknown>)[token] = next;
    node = next;
  }
  (node as Record<string, unknown>)[tokens[tokens.length - 1]!] = value;
}

class SchemaConverter {
  /** Memo for "does this schema list properties, through refs and composition". */
  readonly #listsProperties = new Map<unknown, boolean>();
  /** Targets of schema `$ref`s (pointers without `#`), to make sure each lands on a converted schema. */
  readonly #references = new Set<string>();
  readonly #pending: string[] = [];
  /** allOf parts converted without their `additionalProperties: false`, by pointer. */
  readonly #opened = new Map<string, Loose>();
  readonly #opening = new Set<string>();

  /** The next reference target not handed out yet. */
  takeReference(): string | undefined {
    return this.#pending.shift();
  }

  constructor(
    private readonly root: Loose,
    private readonly options: ConvertOptions,
  ) {}

  convert(schema: unknown, pointer: string, valuePosition: boolean): unknown {
    if (typeof schema === 'boolean') return schema;
    if (!isObject(schema)) throw new ContractError(pointer, 'a schema must be an object');
    for (const keyword of UNSUPPORTED) if (keyword in schema) throw new ContractError(`${pointer}/${keyword}`, `"${keyword}" is not supported in a contract`);
    const source = this.options.version === '3.0' && typeof schema.$ref === 'string' ? { $ref: schema.$ref } : schema;
    const out: Loose = {};
    const opened = { any: false };
    for (const [keyword, value] of Object.entries(source)) {
      if (!VALIDATION_KEYWORDS.has(keyword)) continue;
      const at = `${pointer}/${escapePointer(keyword)}`;
      if (keyword === 'format') {
        if (typeof value === 'string' && this.options.knownFormats.has(value)) out.format = value;
      } else if (SCHEMA_VALUED.includes(keyword) && (isObject(value) || typeof value === 'boolean')) {
        out[keyword] = this.convert(value, at, VALUE_POSITIONS.has(keyword));
      } else if (SCHEMA_MAPS.includes(keyword) && isObject(value)) {
        out[keyword] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, this.convert(child, `${at}/${escapePointer(name)}`, keyword !== '$defs' && VALUE_POSITIONS.has(keyword))]));
      } else if (keyword === 'allOf' && Array.isArray(value)) {
        out.allOf = value.map((_child, index) => this.#allOfPart(source, value, index, `${at}/${index}`, opened));
      } else if (SCHEMA_LISTS.includes(keyword) && Array.isArray(value)) {
        out[keyword] = value.map((child, index) => this.convert(child, `${at}/${index}`, VALUE_POSITIONS.has(keyword)));
      } else if (keyword === 'items' && Array.isArray(value)) {
        // Draft 2019 tuple form, found in some 3.1 documents: 2020-12 calls it prefixItems.
        out.prefixItems = value.map((child, index) => this.convert(child, `${at}/${index}`, true));
      } else if (keyword === '$ref' && typeof value === 'string') {
        if (!value.startsWith('#')) throw new ContractError(at, `remote reference "${value.slice(0, 200)}" is not allowed: the gateway resolves references only inside the document`);
        const target = decodeURIComponent(value.slice(1));
        if (!this.#references.has(target)) {
          this.#references.add(target);
          this.#pending.push(target);
        }
        out.$ref = `#${DOCUMENT_BASE}${value.slice(1)}`;
      } else out[keyword] = value;
    }
    if (Array.isArray(out.required)) {
      const skip = this.options.direction === 'request' ? 'readOnly' : 'writeOnly';
      // The property may be described beside `required` or in an allOf part of the same schema.
      out.required = out.required.filter((name) => !(typeof name === 'string' && this.#flagged(this.#propertySchema(source, name, 0), skip)));
    }
    // `additionalProperties: false` beside a composition, or on an allOf part, would refuse the
    // very properties the composition adds (JSON Schema reads only the schema's own `properties`),
    // so no value could pass; what the authors mean is "nothing beyond what is described":
    // `unevaluatedProperties: false` over the whole, which sees through the composition.
    if (out.additionalProperties === false && (Array.isArray(out.allOf) || Array.isArray(out.anyOf) || Array.isArray(out.oneOf))) {
      delete out.additionalProperties;
      out.unevaluatedProperties = false;
    }
    if (opened.any && !('additionalProperties' in out) && !('unevaluatedProperties' in out)) out.unevaluatedProperties = false;
    const composed = dropRepeatedAlternatives(source, out);
    const open = Array.isArray(out.oneOf) ? out.oneOf : undefined;
    if (this.options.strictObjects) closeAlternatives(this.root, composed, out);
    dispatchByDiscriminator(this.root, composed, out, open);
    if (this.options.version === '3.0') this.#convert30(schema, out);
    if (this.options.strictObjects && valuePosition && this.#closes(out) && this.listsProperties(schema, 0)) {
      out.unevaluatedProperties = false;
      // A property the schema requires is one it allows, listed or not (documents forget to list one).
      const listed = namesOf(this.root, schema);
      const unlisted = [...requiredNames(this.root, schema)].filter((name) => !listed.has(name));
      if (unlisted.length > 0) out.properties = { ...Object.fromEntries(unlisted.map((name) => [name, true])), ...(isObject(out.properties) ? out.properties : {}) };
    }
    return out;
  }

  /**
   * One part of an `allOf`. A part closed with `additionalProperties: false` (through `$ref`s)
   * while the other parts or the schema itself list other properties is converted here without
   * that closing, and `opened` tells the caller to close the whole instead.
   */
  #allOfPart(parent: Loose, parts: readonly unknown[], index: number, pointer: string, opened: { any: boolean }): unknown {
    const child = parts[index];
    let target = child;
    let at = pointer;
    for (let hops = 0; hops < 32 && isObject(target) && typeof target.$ref === 'string'; hops++) {
      at = decodeURIComponent(target.$ref.slice(1));
      target = resolvePointer(this.root, target.$ref);
    }
    if (!isObject(target) || target.additionalProperties !== false || this.#opening.has(at)) return this.convert(child, pointer, false);
    const own = namesOf(this.root, target);
    const others = namesOf(this.root, { properties: parent.properties, allOf: parts.filter((_, i) => i !== index) });
    if ([...others].every((name) => own.has(name))) return this.convert(child, pointer, false);
    opened.any = true;
    let converted = this.#opened.get(at);
    if (!converted) {
      this.#opening.add(at);
      try {
        converted = { ...(this.convert(target, at, false) as Loose) };
      } finally {
        this.#opening.delete(at);
      }
      delete converted.additionalProperties;
      delete converted.unevaluatedProperties;
      this.#opened.set(at, converted);
    }
    return converted;
  }

  /** OpenAPI 3.0 → 2020-12: `nullable` and boolean exclusive bounds. */
  #convert30(source: Loose, out: Loose): void {
    for (const [bound, exclusive] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
      if (typeof source[exclusive] === 'boolean') {
        delete out[exclusive];
        if (source[exclusive] === true && typeof source[bound] === 'number') {
          out[exclusive] = source[bound];
          delete out[bound];
        }
      }
    }
    if (source.nullable === true && typeof source.$ref !== 'string') {
      if (typeof out.type === 'string') {
        out.type = [out.type, 'null'];
        if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      } else if (out.type === undefined) {
        // No type to widen (a composition): null or whatever the rest allows.
        const rest = { ...out };
        for (const key of Object.keys(out)) delete out[key];
        out.anyOf = [{ type: 'null' }, rest];
      }
    }
  }

  /** Where a schema describes one of its properties: its own `properties`, else its allOf parts (through `$ref`s). */
  #propertySchema(schema: unknown, name: string, depth: number): unknown {
    let node = schema;
    for (let hops = 0; hops < 32 && isObject(node) && typeof node.$ref === 'string'; hops++) node = resolvePointer(this.root, node.$ref);
    if (!isObject(node) || depth > 16) return undefined;
    if (isObject(node.properties) && name in node.properties) return node.properties[name];
    if (!Array.isArray(node.allOf)) return undefined;
    for (const part of node.allOf) {
      const found = this.#propertySchema(part, name, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The property schema (through `$ref`s) says readOnly / writeOnly. */
  #flagged(schema: unknown, flag: 'readOnly' | 'writeOnly'): boolean {
    let current = schema;
    for (let hops = 0; hops < 32 && isObject(current); hops++) {
      if (current[flag] === true) return true;
      if (typeof current.$ref !== 'string') return false;
      current = resolvePointer(this.root, current.$ref);
    }
    return false;
  }

  /** Closing is only added where the schema has not said what to do with other properties. */
  #closes(schema: Loose): boolean {
    if ('additionalProperties' in schema || 'unevaluatedProperties' in schema) return false;
    const type = schema.type;
    return type === undefined || type === 'object' || (Array.isArray(type) && type.includes('object'));
  }

  /**
   * True when the schema names properties, directly, through a `$ref` or in a composition: an
   * object with no listed properties (`type: object` alone) is a free-form map by intent, and
   * closing it would refuse everything.
   */
  listsProperties(schema: unknown, depth: number): boolean {
    if (!isObject(schema) || depth > 32) return false;
    const known = this.#listsProperties.get(schema);
    if (known !== undefined) return known;
    this.#listsProperties.set(schema, false);
    let result = isObject(schema.properties) || isObject(schema.patternProperties);
    if (!result && typeof schema.$ref === 'string') result = this.listsProperties(resolvePointer(this.root, schema.$ref), depth + 1);
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      const list = schema[keyword];
      if (!result && Array.isArray(list)) result = list.some((child) => this.listsProperties(child, depth + 1));
    }
    this.#listsProperties.set(schema, result);
    return result;
  }
}
