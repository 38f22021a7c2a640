/**
 * Strict typing of parameter and form-field strings (issue 12 §2). Values in a URL, a header, a
 * cookie or a form body are text; the schema says what they mean. Ajv's own coercion uses
 * JavaScript's `+value`, which reads `0x10`, `1e2`, `+1`, `Infinity`, `''` and whitespace-padded
 * digits as numbers while the upstream receives the text as sent. Here a text becomes:
 * - a number only where the schema allows a number and the text is a JSON number (RFC 8259 §6),
 *   an integer only where only integers are allowed and the text has no fraction or exponent;
 * - a boolean only where the schema allows one and the text is exactly `true` or `false`;
 * - null only where the schema allows null but no string, and the text is empty;
 * - otherwise it stays a string, and the schema's `type` refuses it where a string is not allowed.
 * The plan (which types each position allows) is built once per parameter at load.
 */
import { resolvePointer } from './openapi-document.js';
import { parseStrictNumber } from './numbers.js';

export interface TypePlan {
  /** JSON Schema types allowed here; empty: nothing known, a text stays a text. */
  readonly types: ReadonlySet<string>;
  readonly items: TypePlan | undefined;
  readonly properties: ReadonlyMap<string, TypePlan>;
  readonly additional: TypePlan | undefined;
  /** Somewhere in this plan a text could be a string or something else (then both readings are tried). */
  readonly ambiguous: boolean;
}

export const NO_PLAN: TypePlan = { types: new Set(), items: undefined, properties: new Map(), additional: undefined, ambiguous: false };

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const SCALARS = ['number', 'integer', 'boolean', 'null'];

interface Draft {
  readonly types: Set<string>;
  /** `$ref` targets and composition branches: what they allow, this position allows. */
  readonly branches: Draft[];
  readonly items: Draft[];
  readonly properties: Map<string, Draft[]>;
  readonly additional: Draft[];
}

/**
 * The plan for a schema of the converted document (`root` is the document resource, refs are
 * `#/$defs/document/...`). Follows `$ref`s and merges `allOf`/`anyOf`/`oneOf` branches: a position
 * allows a type if any branch does (the schema itself then decides).
 */
export function planFor(root: unknown, schema: unknown): TypePlan {
  const plan = finish([draft(root, schema, new Map(), 0)], new Map(), new Map()) as MutablePlan;
  spreadAmbiguity(plan, new Set());
  return plan;
}

function draft(root: unknown, schema: unknown, memo: Map<unknown, Draft>, depth: number): Draft {
  const out: Draft = { types: new Set(), branches: [], items: [], properties: new Map(), additional: [] };
  if (!isObject(schema) || depth > 64) return out;
  const known = memo.get(schema);
  if (known) return known;
  memo.set(schema, out);
  if (typeof schema.$ref === 'string') out.branches.push(draft(root, resolvePointer(root, schema.$ref), memo, depth + 1));
  const type = schema.type;
  for (const t of Array.isArray(type) ? type : type === undefined ? [] : [type]) if (typeof t === 'string') out.types.add(t);
  for (const value of [...(Array.isArray(schema.enum) ? schema.enum : []), ...('const' in schema ? [schema.const] : [])]) {
    out.types.add(value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value);
  }
  if (isObject(schema.properties)) {
    for (const [name, child] of Object.entries(schema.properties)) out.properties.set(name, [...(out.properties.get(name) ?? []), draft(root, child, memo, depth + 1)]);
  }
  if (isObject(schema.additionalProperties)) out.additional.push(draft(root, schema.additionalProperties, memo, depth + 1));
  if (isObject(schema.items)) out.items.push(draft(root, schema.items, memo, depth + 1));
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[keyword];
    if (Array.isArray(list)) for (const branch of list) out.branches.push(draft(root, branch, memo, depth + 1));
  }
  return out;
}

interface MutablePlan {
  types: Set<string>;
  items: TypePlan | undefined;
  properties: Map<string, TypePlan>;
  additional: TypePlan | undefined;
  ambiguous: boolean;
}

/**
 * Drafts for one position → its plan. Plans are shared by the set of drafts they merge, so a
 * recursive schema gives a cyclic plan of bounded size, not an endless or exponential one.
 */
function finish(drafts: readonly Draft[], memo: Map<string, MutablePlan>, ids: Map<Draft, number>): TypePlan {
  const id = (d: Draft) => ids.get(d) ?? (ids.set(d, ids.size), ids.size - 1);
  const key = [...new Set(drafts.map(id))].sort((a, b) => a - b).join(',');
  const known = memo.get(key);
  if (known) return known;
  const plan: MutablePlan = { types: new Set(), items: undefined, properties: new Map(), additional: undefined, ambiguous: false };
  memo.set(key, plan);
  const items: Draft[] = [];
  const additional: Draft[] = [];
  const properties = new Map<string, Draft[]>();
  const seen = new Set<Draft>();
  const visit = (d: Draft) => {
    if (seen.has(d)) return;
    seen.add(d);
    for (const t of d.types) plan.types.add(t);
    for (const [name, list] of d.properties) properties.set(name, [...(properties.get(name) ?? []), ...list]);
    items.push(...d.items);
    additional.push(...d.additional);
    d.branches.forEach(visit);
  };
  drafts.forEach(visit);
  if (items.length > 0) plan.items = finish(items, memo, ids);
  if (additional.length > 0) plan.additional = finish(additional, memo, ids);
  for (const [name, list] of properties) plan.properties.set(name, finish(list, memo, ids));
  plan.ambiguous = plan.types.has('string') && SCALARS.some((t) => plan.types.has(t));
  return plan;
}

/** Marks plans that contain an ambiguous position anywhere below them (cycles allowed). */
function spreadAmbiguity(plan: MutablePlan, seen: Set<MutablePlan>): boolean {
  if (seen.has(plan)) return plan.ambiguous;
  seen.add(plan);
  const children = [plan.items, plan.additional, ...plan.properties.values()].filter((p): p is MutablePlan => p !== undefined);
  for (const child of children) if (spreadAmbiguity(child, seen)) plan.ambiguous = true;
  return plan.ambiguous;
}

/**
 * Types the strings inside `value` (a text, a list of texts, an object of texts, nested) by the
 * plan. With `preferString`, a text stays a text wherever the plan allows a string (the second
 * reading tried when the first fails and the plan is ambiguous).
 */
export function coerce(plan: TypePlan, value: unknown, preferString = false): unknown {
  if (typeof value === 'string') return coerceText(plan.types, value, preferString);
  if (Array.isArray(value)) return value.map((item) => coerce(plan.items ?? NO_PLAN, item, preferString));
  if (isObject(value)) {
    const keys = Object.keys(value);
    // deepObject / bracket indices (`items[0][price]`) where the schema wants an array: contiguous
    // 0..n-1 only; anything else stays an object and the schema's `type` refuses it.
    if (plan.types.has('array') && !plan.types.has('object') && keys.length > 0 && keys.every((key, index) => key === String(index))) {
      return keys.map((key) => coerce(plan.items ?? NO_PLAN, value[key], preferString));
    }
    const out: Loose = {};
    for (const key of keys) out[key] = coerce(plan.properties.get(key) ?? plan.additional ?? NO_PLAN, value[key], preferString);
    return out;
  }
  return value;
}

function coerceText(types: ReadonlySet<string>, text: string, preferString: boolean): unknown {
  if (types.size === 0 || (preferString && types.has('string'))) return text;
  if (types.has('number') || types.has('integer')) {
    const number = parseStrictNumber(text, !types.has('number'));
    if (number !== undefined) return number;
  }
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if (types.has('null') && !types.has('string') && text === '') return null;
  return text;
}
