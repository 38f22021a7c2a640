/**
 * What the request reader needs to know about each parameter and form field, worked out once at
 * load from the converted document: its serialization (style, explode, shape) and its type plan
 * (coerce.ts). Form fields follow the media type's Encoding Object (OpenAPI 3.0.3 §4.7.15): style
 * `form` by default, `explode` true for `form` and false for other styles, a `contentType` of JSON
 * for a field that carries a JSON document.
 */
import type { ContractParameter, ParameterLocation, PropertyEncoding } from './openapi-document.js';
import { resolvePointer } from './openapi-document.js';
import { NO_PLAN, planFor, type TypePlan } from './coerce.js';
import type { ParameterSpec, Shape } from './parameters.js';
import { DOCUMENT_BASE } from './schema-convert.js';

/** JSON media types (RFC 8259 §11, RFC 6839 §3.1 for `+json`). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

const schemaAt = (plain: unknown, pointer: string) => resolvePointer(plain, `#${DOCUMENT_BASE}${pointer}`);

/** The plan of the schema at a document pointer. */
export function planAt(plain: unknown, pointer: string): TypePlan {
  return planFor(plain, schemaAt(plain, pointer));
}

const SCALAR_TYPES = ['string', 'number', 'integer', 'boolean', 'null'];
const allowsScalar = (plan: TypePlan) => SCALAR_TYPES.some((t) => plan.types.has(t));

function shapeOf(plan: TypePlan): Shape {
  if (plan.types.has('array')) return 'array';
  if (plan.types.has('object') || plan.properties.size > 0) return 'object';
  return 'scalar';
}

/** One spec per declared parameter of a location, and the plan for the object of their values. */
export function parameterSpecs(plain: unknown, location: ParameterLocation, parameters: readonly ContractParameter[]): { specs: ParameterSpec[]; plan: TypePlan } {
  const plans = new Map<string, TypePlan>();
  const specs = parameters.map((p) => {
    const plan = p.schemaPointer === undefined ? NO_PLAN : planFor(plain, schemaAt(plain, p.schemaPointer));
    const json = p.contentMediaType !== undefined && isJsonMediaType(p.contentMediaType);
    const key = location === 'header' ? p.name.toLowerCase() : p.name;
    plans.set(key, plan);
    const shape = json ? 'scalar' : shapeOf(plan);
    return { name: p.name, key, in: location, style: p.style, explode: p.explode, shape, scalarToo: shape !== 'scalar' && allowsScalar(plan), json, objectKeys: shape === 'object' ? [...plan.properties.keys()] : [] };
  });
  return { specs, plan: objectPlan(plans) };
}

/** A form body's fields, as query-style parameters read by the body's Encoding Object. */
export function formFieldSpecs(plain: unknown, pointer: string, encoding: ReadonlyMap<string, PropertyEncoding>): { specs: ParameterSpec[]; plan: TypePlan } {
  const plan = planFor(plain, schemaAt(plain, pointer));
  const specs = [...plan.properties].map(([name, property]): ParameterSpec => {
    const declared = encoding.get(name);
    const style = declared?.style ?? 'form';
    const json = declared?.contentType !== undefined && isJsonMediaType(declared.contentType);
    const shape = json ? 'scalar' : shapeOf(property);
    return {
      name,
      key: name,
      in: 'query',
      style,
      explode: declared?.explode ?? style === 'form',
      shape,
      scalarToo: shape !== 'scalar' && allowsScalar(property),
      json,
      objectKeys: shape === 'object' ? [...property.properties.keys()] : [],
    };
  });
  return { specs, plan };
}

function objectPlan(properties: ReadonlyMap<string, TypePlan>): TypePlan {
  return { types: new Set(['object']), items: undefined, properties, additional: undefined, ambiguous: [...properties.values()].some((p) => p.ambiguous) };
}
