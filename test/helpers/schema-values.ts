/**
 * Makes values that a JSON Schema (as written in an OpenAPI 3.0/3.1 document) accepts, for the
 * false-rejection measurement (issue #12): written independently of the gateway's converter, from
 * the document as the specification reads it. Deterministic: `variant` picks among enum values and
 * oneOf/anyOf alternatives, and the random source of pattern strings is seeded.
 */
import RandExp from 'randexp';
import { resolvePointer } from '../../src/openapi/openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface MakeOptions {
  /** Include optional properties (up to a depth), or only what is required. */
  readonly full: boolean;
  /** Picks the enum value and the oneOf/anyOf alternative (index modulo their count). */
  readonly variant: number;
}

/** Thrown when a schema asks for something this generator cannot make (then the request is not counted). */
export class CannotMake extends Error {}

const FORMATS: Record<string, string> = {
  'date-time': '2026-11-30T12:34:56Z',
  date: '2026-11-30',
  time: '12:34:56Z',
  email: 'someone@example.com',
  'idn-email': 'someone@example.com',
  uri: 'https://example.com/a/b',
  url: 'https://example.com/a/b',
  'uri-reference': 'https://example.com/a/b',
  iri: 'https://example.com/a/b',
  'uri-template': 'https://example.com/{id}',
  uuid: '3f0c2a9e-8d7b-4e39-a1f2-0b6f0b1e5c11',
  ipv4: '192.0.2.10',
  ipv6: '2001:db8::10',
  hostname: 'api.example.com',
  'idn-hostname': 'api.example.com',
  byte: 'aGVsbG8gd29ybGQ=',
  int32: '42',
  int64: '42',
  duration: 'P1D',
  regex: '^a+$',
  'json-pointer': '/a/b',
};

export class SchemaValues {
  #seed = 1;

  constructor(
    private readonly root: Loose,
    private readonly version: '3.0' | '3.1',
  ) {}

  /** Follows `$ref`s (3.0: siblings ignored; 3.1: merged over the target). */
  deref(schema: unknown, depth = 0): Loose {
    if (schema === true || schema === undefined) return {};
    if (!isObject(schema)) throw new CannotMake('a schema that accepts nothing');
    if (typeof schema.$ref !== 'string' || depth > 32) return schema;
    const target = this.deref(resolvePointer(this.root, schema.$ref), depth + 1);
    if (this.version === '3.0') return target;
    const { $ref: _ref, ...siblings } = schema;
    return Object.keys(siblings).length === 0 ? target : { ...siblings, allOf: [target, ...(Array.isArray(siblings.allOf) ? siblings.allOf : [])] };
  }

  /** allOf parts merged into one schema (properties and required united, other keywords: later wins). */
  flatten(schema: unknown, depth = 0): Loose {
    const node = this.deref(schema);
    if (!Array.isArray(node.allOf) || depth > 16) return node;
    const merged: Loose = {};
    const properties: Loose = {};
    const required = new Set<string>(Array.isArray(node.required) ? (node.required as string[]) : []);
    const compositions: Loose[] = [];
    for (const part of [...(node.allOf as unknown[]).map((p) => this.flatten(p, depth + 1)), node]) {
      for (const [key, value] of Object.entries(part)) {
        if (key === 'properties' && isObject(value)) {
          for (const [name, child] of Object.entries(value)) properties[name] = name in properties ? { allOf: [properties[name], child] } : child;
        } else if (key === 'required' && Array.isArray(value)) for (const name of value) required.add(String(name));
        else if ((key === 'oneOf' || key === 'anyOf') && part !== node) compositions.push({ [key]: value, discriminator: part.discriminator });
        else if (key !== 'allOf') merged[key] = value; // the schema's own keywords come last and win
      }
    }
    if (Object.keys(properties).length > 0) merged.properties = properties;
    if (required.size > 0) merged.required = [...required];
    if (compositions.length > 0 && !merged.oneOf && !merged.anyOf) Object.assign(merged, compositions[0]);
    return merged;
  }

  make(schema: unknown, options: MakeOptions, depth = 0): unknown {
    if (depth > 24) throw new CannotMake('too deep');
    const node = this.flatten(schema);
    if ('const' in node) return node.const;
    if (Array.isArray(node.enum)) {
      const values = node.enum.filter((value) => value !== null);
      if (values.length === 0) throw new CannotMake('an enum of null only');
      return values[options.variant % values.length];
    }
    const alternatives = (Array.isArray(node.oneOf) ? node.oneOf : Array.isArray(node.anyOf) ? node.anyOf : undefined) as unknown[] | undefined;
    if (alternatives) return this.#alternative(node, alternatives, options, depth);
    const type = this.#type(node);
    switch (type) {
      case 'object':
        return this.#object(node, options, depth);
      case 'array':
        return this.#array(node, options, depth);
      case 'integer':
      case 'number':
        return this.#number(node, type);
      case 'boolean':
        return typeof node.example === 'boolean' ? node.example : true;
      case 'null':
        return null;
      default:
        return this.#string(node);
    }
  }

  #type(node: Loose): string {
    const types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter((t) => t !== 'null');
    if (types.length > 0) return String(types[0]);
    if (isObject(node.properties) || node.additionalProperties !== undefined || Array.isArray(node.required)) return 'object';
    if (node.items !== undefined) return 'array';
    if (node.type === 'null') return 'null';
    return 'string';
  }

  #alternative(node: Loose, alternatives: unknown[], options: MakeOptions, depth: number): unknown {
    const usable = alternatives.map((alternative, index) => ({ alternative, index })).filter(({ alternative }) => this.#type(this.flatten(alternative)) !== 'null' || isObject(this.flatten(alternative).properties));
    if (usable.length === 0) throw new CannotMake('only null alternatives');
    const { alternative, index } = usable[options.variant % usable.length]!;
    // An alternative is made with its own properties, even when only required ones are asked
    // for: `{}` matches every alternative whose properties are optional, which oneOf refuses.
    const value = this.make(alternative, { ...options, full: true }, depth + 1);
    const { oneOf: _o, anyOf: _a, ...rest } = node;
    if (isObject(value) && (isObject(rest.properties) || Array.isArray(rest.required))) Object.assign(value, this.#object(rest, options, depth, new Set(Object.keys(value))));
    const discriminator = node.discriminator;
    if (isObject(value) && isObject(discriminator) && typeof discriminator.propertyName === 'string') {
      const chosen = alternatives[index];
      const ref = isObject(chosen) && typeof chosen.$ref === 'string' ? chosen.$ref : undefined;
      const mapped = isObject(discriminator.mapping) ? Object.entries(discriminator.mapping).find(([, target]) => target === ref || (ref !== undefined && `#/components/schemas/${String(target)}` === ref))?.[0] : undefined;
      const own = value[discriminator.propertyName];
      // The alternative's own enum/const already names it; else the mapping, else its component name.
      if (mapped !== undefined) value[discriminator.propertyName] = mapped;
      else if (ref !== undefined && !this.#declares(alternative, discriminator.propertyName)) value[discriminator.propertyName] = decodeURIComponent(ref.split('/').pop()!);
      else if (own === undefined && ref !== undefined) value[discriminator.propertyName] = decodeURIComponent(ref.split('/').pop()!);
    }
    return value;
  }

  #declares(schema: unknown, property: string): boolean {
    const node = this.flatten(schema);
    const own = isObject(node.properties) ? this.flatten(node.properties[property]) : undefined;
    return own !== undefined && (Array.isArray(own.enum) || 'const' in own);
  }

  #object(node: Loose, options: MakeOptions, depth: number, present: ReadonlySet<string> = new Set()): Loose {
    const out: Loose = {};
    const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
    const properties = isObject(node.properties) ? node.properties : {};
    for (const [name, child] of Object.entries(properties)) {
      const flat = this.flatten(child);
      if (flat.readOnly === true && !required.has(name)) continue;
      if (flat.readOnly === true) continue; // required readOnly: responses only (OpenAPI 3.0.3 §4.7.24.3)
      if (!required.has(name) && !(options.full && depth < 4)) continue;
      try {
        out[name] = this.make(child, options, depth + 1);
      } catch (error) {
        if (required.has(name)) throw error;
      }
    }
    for (const name of required) {
      if (name in out || present.has(name) || (isObject(properties[name]) && this.flatten(properties[name]).readOnly === true)) continue;
      // Required, not listed, and no other property allowed: the document contradicts itself.
      if (node.additionalProperties === false) throw new CannotMake(`the schema requires "${name}" and allows no property of that name`);
      out[name] = 'x';
    }
    const minimum = typeof node.minProperties === 'number' ? node.minProperties : 0;
    // Listed optional properties first, then extra ones where the schema allows them.
    for (const [name, child] of Object.entries(properties)) {
      if (Object.keys(out).length >= minimum) break;
      if (!(name in out) && this.flatten(child).readOnly !== true) out[name] = this.make(child, options, depth + 1);
    }
    for (let i = Object.keys(out).length; i < minimum; i++) {
      if (node.additionalProperties === false) throw new CannotMake('minProperties beyond the listed properties');
      out[`extra${i}`] = isObject(node.additionalProperties) ? this.make(node.additionalProperties, options, depth + 1) : 'x';
    }
    return out;
  }

  #array(node: Loose, options: MakeOptions, depth: number): unknown[] {
    const min = typeof node.minItems === 'number' ? node.minItems : 0;
    const max = typeof node.maxItems === 'number' ? node.maxItems : Infinity;
    const count = Math.min(max, Math.max(min, options.full ? 1 : min));
    const items: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const value = this.make(node.items ?? {}, { ...options, variant: options.variant + i }, depth + 1);
      if (node.uniqueItems === true && items.some((item) => JSON.stringify(item) === JSON.stringify(value))) {
        if (typeof value === 'string' && !isObject(node.items)) items.push(`${value}${i}`);
        else if (items.length >= min) break;
        else throw new CannotMake('unique items');
      } else items.push(value);
    }
    return items;
  }

  #number(node: Loose, type: 'integer' | 'number'): number {
    let low = typeof node.minimum === 'number' ? node.minimum : -Infinity;
    let high = typeof node.maximum === 'number' ? node.maximum : Infinity;
    // 3.0: boolean exclusive bounds; 3.1: numeric ones.
    if (node.exclusiveMinimum === true) low += type === 'integer' ? 1 : 0.5;
    if (typeof node.exclusiveMinimum === 'number') low = Math.max(low, node.exclusiveMinimum + (type === 'integer' ? 1 : 0.5));
    if (node.exclusiveMaximum === true) high -= type === 'integer' ? 1 : 0.5;
    if (typeof node.exclusiveMaximum === 'number') high = Math.min(high, node.exclusiveMaximum - (type === 'integer' ? 1 : 0.5));
    const ok = (value: number) => value >= low && value <= high && (type === 'number' || Number.isInteger(value)) && (typeof node.multipleOf !== 'number' || Number.isInteger(value / node.multipleOf));
    const step = typeof node.multipleOf === 'number' ? node.multipleOf : 1;
    for (const candidate of [node.example, node.default, Number.isFinite(low) ? Math.ceil(low / step) * step : undefined, Math.ceil(Math.min(Math.max(1, low), high) / step) * step]) {
      if (typeof candidate === 'number' && ok(candidate)) return candidate;
    }
    throw new CannotMake('no number in range');
  }

  #string(node: Loose): string {
    const min = typeof node.minLength === 'number' ? node.minLength : 0;
    const max = typeof node.maxLength === 'number' ? node.maxLength : Infinity;
    let pattern: RegExp | undefined;
    if (typeof node.pattern === 'string') {
      try {
        pattern = new RegExp(node.pattern);
      } catch {
        throw new CannotMake('a pattern JavaScript cannot read');
      }
    }
    const length = (value: string) => [...value].length;
    const ok = (value: unknown): value is string => typeof value === 'string' && length(value) >= min && length(value) <= max && (!pattern || pattern.test(value));
    const format = typeof node.format === 'string' ? FORMATS[node.format] : undefined;
    const examples = Array.isArray(node.examples) ? node.examples : [];
    for (const candidate of [format, node.example, node.default, ...examples]) if (ok(candidate) && (format === undefined || candidate === format)) return candidate;
    if (pattern) {
      for (let attempt = 0; attempt < 200; attempt++) {
        const generator = new RandExp(pattern);
        // Repetitions long enough for minLength, short enough for maxLength.
        generator.max = Math.max(min, Math.min(8, Number.isFinite(max) ? max : 8));
        generator.defaultRange.subtract(0, 31);
        generator.defaultRange.subtract(127, 65535);
        generator.randInt = (from: number, to: number) => from + (this.#next() % (to - from + 1));
        const value = generator.gen();
        if (ok(value)) return value;
      }
      throw new CannotMake(`no string for pattern ${node.pattern}`);
    }
    const value = 'sample'.padEnd(min, 'x').slice(0, Number.isFinite(max) ? Math.max(max, min) : undefined);
    if (ok(value)) return value;
    throw new CannotMake('no string of that length');
  }

  /** A small deterministic random source (a linear congruential generator). */
  #next(): number {
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    return this.#seed;
  }
}
