/**
 * Short errors for `oneOf` / `anyOf` (issue #12 §3). With `allErrors`, Ajv reports every failure of
 * every alternative (one real request got 145 problems, some about fields that were valid in the
 * alternative the client meant). When a composition fails, the failures of its alternatives are
 * replaced by those of the closest one (the fewest errors; the first on a tie) and one line that
 * says so. A discriminator has already picked the alternative (composition.ts), so its errors are
 * short on their own.
 *
 * How: Ajv lists an alternative's errors just before the composition's own error, in order. Each
 * alternative is validated again on its own (only when a request already failed), which gives
 * both the count of errors to replace and the errors of each alternative.
 */
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { DOCUMENT_BASE } from './schema-convert.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The list of alternatives (the `oneOf`/`anyOf` array) → where it is in which converted document. */
const places = new WeakMap<object, { readonly document: object; readonly pointer: string }>();

/**
 * Notes where every `oneOf`/`anyOf` of a converted document is, once at load (the errors of a failed
 * request name the list, not its place).
 */
export function indexCompositions(document: Loose): void {
  const stack: Array<[unknown, string]> = [[document, '']];
  while (stack.length > 0) {
    const [node, pointer] = stack.pop()!;
    if (Array.isArray(node)) node.forEach((child, index) => stack.push([child, `${pointer}/${index}`]));
    else if (isObject(node)) {
      for (const keyword of ['oneOf', 'anyOf']) {
        const list = node[keyword];
        if (Array.isArray(list) && !places.has(list)) places.set(list, { document, pointer: `${pointer}/${keyword}` });
      }
      for (const [key, child] of Object.entries(node)) if (typeof child === 'object' && child !== null) stack.push([child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
}

/** Ajv needs `verbose` (the composition's list and the value in each error) for this. */
export interface ExplainingAjv {
  readonly ajv: Ajv2020;
  /** The resource id under which each converted document was added to this Ajv instance. */
  readonly ids: ReadonlyMap<object, string>;
}

/** A validate function whose `errors` are shortened as described above; otherwise Ajv's own. */
export function explainingValidator(context: ExplainingAjv, inner: ValidateFunction): ValidateFunction {
  const validate = function explained(data: unknown): boolean {
    const ok = inner(data);
    validate.errors = ok ? null : withoutEchoes(context, shorten(context, inner.errors ?? [], 0));
    return ok;
  } as ValidateFunction;
  return validate;
}

function alternative(context: ExplainingAjv, list: object, index: number): ValidateFunction | undefined {
  const place = places.get(list);
  const id = place && context.ids.get(place.document);
  if (!place || id === undefined) return undefined;
  const pointer = `${DOCUMENT_BASE}${place.pointer}/${index}`.split('/').map((token) => encodeURIComponent(token)).join('/');
  return context.ajv.getSchema(`${id}#${pointer}`);
}

function nameOf(branch: unknown): string | undefined {
  const ref = isObject(branch) && typeof branch.$ref === 'string' ? branch.$ref : undefined;
  const name = ref?.split('/').pop();
  return name && decodeURIComponent(name).replace(/~1/g, '/').replace(/~0/g, '~');
}

function shorten(context: ExplainingAjv, errors: readonly ErrorObject[], depth: number): ErrorObject[] {
  if (depth > 8) return [...errors];
  const out: ErrorObject[] = [];
  let k = errors.length - 1;
  while (k >= 0) {
    const error = errors[k]!;
    const replaced = (error.keyword === 'oneOf' || error.keyword === 'anyOf') && Array.isArray(error.schema) ? explain(context, errors, k, depth) : undefined;
    if (!replaced) {
      out.unshift(error);
      k -= 1;
      continue;
    }
    out.unshift(...replaced.errors);
    k -= replaced.consumed;
  }
  return out;
}

/** The composition's error at `k` and its alternatives' errors before it → the closest alternative's. */
function explain(context: ExplainingAjv, errors: readonly ErrorObject[], k: number, depth: number): { errors: ErrorObject[]; consumed: number } | undefined {
  const error = errors[k]!;
  const list = error.schema as unknown[];
  const results: Array<ErrorObject[] | null> = [];
  for (let index = 0; index < list.length; index++) {
    const validate = alternative(context, list, index);
    if (!validate) return undefined;
    results.push(validate(error.data) ? null : [...(validate.errors ?? [])]);
  }
  const own = results.reduce((sum, result) => sum + (result?.length ?? 0), 0);
  // The alternatives' errors must be the ones right before the summary; else leave Ajv's list.
  if (own > k || errors.slice(k - own, k).some((e) => !e.instancePath.startsWith(error.instancePath))) return undefined;
  const summary = (message: string): ErrorObject => ({ keyword: error.keyword, instancePath: error.instancePath, schemaPath: error.schemaPath, params: {}, message });
  const passing = results.filter((result) => result === null).length;
  if (passing > 0) return { errors: [summary(`matches ${passing} of the alternatives, and must match exactly one`)], consumed: own + 1 };
  const shortened = results.map((result) => shorten(context, result!, depth + 1));
  // An alternative of another type altogether (`null` of a nullable object, a string beside an
  // object) was not what the client meant, however few its errors.
  const rank = (result: readonly ErrorObject[]) => (result.some((e) => e.instancePath === '' && e.keyword === 'type') ? 1_000_000 : 0) + result.length;
  let closest = 0;
  shortened.forEach((result, index) => {
    if (rank(result) < rank(shortened[closest]!)) closest = index;
  });
  const name = nameOf(list[closest]);
  const prefixed = shortened[closest]!.map((e) => ({ ...e, instancePath: `${error.instancePath}${e.instancePath}` }));
  // One alternative of the value's type (an object beside `null`, say): its errors say it all.
  const sameType = shortened.filter((result) => rank(result) < 1_000_000).length;
  if (sameType === 1) return { errors: prefixed, consumed: own + 1 };
  if (sameType === 0) {
    // Of no alternative's type: one error that names them all.
    const types = [...new Set(shortened.flatMap((result) => result.filter((e) => e.instancePath === '' && e.keyword === 'type').flatMap((e) => [e.params.type as string | string[]].flat())))];
    return { errors: [{ ...summary(`must be ${types.join(' or ')}`), keyword: 'type', params: { type: types } }], consumed: own + 1 };
  }
  return {
    errors: [summary(`matches none of the ${list.length} alternatives; the errors of the closest one (${name ?? `#${closest + 1}`}) follow`), ...prefixed],
    consumed: own + 1,
  };
}

/**
 * An object closed with `unevaluatedProperties: false` around a composition that failed lists every
 * property as unknown (a failed subschema evaluates nothing): those echoes are dropped for the
 * properties the schema does list somewhere; a property it lists nowhere is still reported.
 */
function withoutEchoes(context: ExplainingAjv, errors: ErrorObject[]): ErrorObject[] {
  const failedAt = errors.filter((e) => e.keyword !== 'unevaluatedProperties').map((e) => e.instancePath);
  return errors.filter((e) => {
    if (e.keyword !== 'unevaluatedProperties') return true;
    const inside = failedAt.some((path) => path === e.instancePath || path.startsWith(`${e.instancePath}/`));
    return !(inside && listedNames(context, e.parentSchema).has(String(e.params.unevaluatedProperty)));
  });
}

const listed = new WeakMap<object, Set<string>>();

/** Property names a converted schema lists, through `$ref`s (into this Ajv's documents) and every applicator. */
function listedNames(context: ExplainingAjv, schema: unknown): Set<string> {
  const found = isObject(schema) ? listed.get(schema) : undefined;
  if (found || !isObject(schema)) return found ?? new Set();
  const names = new Set<string>();
  listed.set(schema, names);
  const seen = new Set<object>();
  const visit = (node: unknown, depth: number): void => {
    if (!isObject(node) || seen.has(node) || depth > 64) return;
    seen.add(node);
    if (isObject(node.properties)) for (const name of Object.keys(node.properties)) names.add(name);
    if (typeof node.$ref === 'string') for (const document of context.ids.keys()) visit(resolveConverted(document, node.$ref), depth + 1);
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(node[keyword])) for (const child of node[keyword] as unknown[]) visit(child, depth + 1);
    for (const keyword of ['if', 'then', 'else']) visit(node[keyword], depth + 1);
  };
  visit(schema, 0);
  return names;
}

/** `#/$defs/document/a/b` in a converted document. */
function resolveConverted(document: object, ref: string): unknown {
  const prefix = `#${DOCUMENT_BASE}`;
  if (!ref.startsWith(prefix)) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(prefix.length).split('/').slice(1)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
  }
  return node;
}
