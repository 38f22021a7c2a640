/**
 * `oneOf` / `anyOf` as OpenAPI means them (issue #12 §3), applied while schemas are converted:
 *
 * - With a `discriminator` (OpenAPI 3.1 §4.8.25, 3.0.3 §4.7.25), the value of the discriminating
 *   property says which alternative the body is, as the upstream will read it: the body is checked
 *   against that alternative only. Plain JSON Schema cannot pass the specification's own Cat/Dog
 *   example, because a valid Cat is usually a valid Dog too (their own properties are optional),
 *   and `oneOf` refuses a value that matches two alternatives.
 * - Under strict objects, the alternatives of a `oneOf` are closed against each other, so a valid
 *   member of one alternative does not also match another that merely leaves its properties
 *   optional.
 *
 * Both rewrite the converted schema into plain 2020-12 keywords (`if`/`then`, `allOf`, false
 * property schemas) that Ajv compiles in strict mode.
 */
import { resolvePointer } from './openapi-document.js';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows `$ref`s in the document; undefined where one does not resolve. */
function deref(root: Loose, schema: unknown): Loose | undefined {
  let current = schema;
  for (let hops = 0; hops < 32 && isObject(current); hops++) {
    if (typeof current.$ref !== 'string') return current;
    current = resolvePointer(root, current.$ref);
  }
  return undefined;
}

/** The `const` / `enum` strings a schema (through `$ref` and `allOf`) gives its discriminating property. */
function declaredValues(root: Loose, schema: unknown, property: string, depth = 0): string[] {
  const node = deref(root, schema);
  if (!node || depth > 16) return [];
  const own = isObject(node.properties) ? deref(root, node.properties[property]) : undefined;
  const values = own ? [...(Array.isArray(own.enum) ? own.enum : []), ...('const' in own ? [own.const] : [])].filter((v): v is string => typeof v === 'string') : [];
  if (values.length > 0) return values;
  return Array.isArray(node.allOf) ? node.allOf.flatMap((child) => declaredValues(root, child, property, depth + 1)) : [];
}

const SCHEMA_NAME = /^#\/components\/schemas\/([^/]+)$/;

/**
 * Replaces the converted `oneOf`/`anyOf` of a schema that has a discriminator by a dispatch on the
 * discriminating property: for each value (from `mapping`, from the names of referenced component
 * schemas, from `const`/`enum` in the alternatives), `if` the property has it, `then` the
 * alternative must hold. A value that selects no alternative is refused (`enum`) when every
 * alternative's values are known; otherwise the original composition decides, as the document says.
 * `open`: the alternatives before `closeAlternatives` (the selected one needs no closing of its own:
 * the value position around it is closed already).
 */
export function dispatchByDiscriminator(root: Loose, source: Loose, out: Loose, open: readonly unknown[] | undefined): void {
  const discriminator = source.discriminator;
  if (!isObject(discriminator) || typeof discriminator.propertyName !== 'string') return;
  const keyword = Array.isArray(out.oneOf) && Array.isArray(source.oneOf) ? 'oneOf' : Array.isArray(out.anyOf) && Array.isArray(source.anyOf) ? 'anyOf' : undefined;
  if (!keyword) return;
  const property = discriminator.propertyName;
  const raw = source[keyword] as unknown[];
  const converted = out[keyword] as unknown[];
  const chosen = new Map<string, unknown>();
  const known = new Set<number>();
  const choose = (value: string, index: number) => {
    if (index < 0 || chosen.has(value)) return;
    chosen.set(value, (open ?? converted)[index]);
    known.add(index);
  };
  const refOf = (branch: unknown) => (isObject(branch) && typeof branch.$ref === 'string' ? decodeURIComponent(branch.$ref) : undefined);
  if (isObject(discriminator.mapping)) {
    for (const [value, target] of Object.entries(discriminator.mapping)) {
      if (typeof target !== 'string') continue;
      // A mapping value is a reference, or the name of a component schema.
      const ref = decodeURIComponent(target.startsWith('#') ? target : `#/components/schemas/${target}`);
      choose(value, raw.findIndex((branch) => refOf(branch) === ref));
    }
  }
  raw.forEach((branch, index) => {
    const name = SCHEMA_NAME.exec(refOf(branch) ?? '')?.[1];
    if (name !== undefined) choose(name.replace(/~1/g, '/').replace(/~0/g, '~'), index);
  });
  raw.forEach((branch, index) => {
    for (const value of declaredValues(root, branch, property)) choose(value, index);
  });
  if (chosen.size === 0) return;
  const has = (values: readonly string[]) => ({ properties: { [property]: values.length === 1 ? { const: values[0] } : { enum: values } }, required: [property] });
  const values = [...chosen.keys()];
  const dispatch: Loose[] = [...chosen].map(([value, then]) => ({ if: has([value]), then }));
  dispatch.push({ if: has(values), else: known.size === raw.length ? has(values) : { [keyword]: converted } });
  delete out[keyword];
  out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []), ...dispatch];
}

/** Every property name a schema lists, through `$ref`s and compositions. */
export function namesOf(root: Loose, schema: unknown): Set<string> {
  const names = new Set<string>();
  listedNames(root, schema, names, new Set());
  return names;
}

/** Every property name a schema requires, through `$ref`s and allOf parts. */
export function requiredNames(root: Loose, schema: unknown, found = new Set<string>(), depth = 0): Set<string> {
  const node = deref(root, schema);
  if (!node || depth > 32) return found;
  if (Array.isArray(node.required)) for (const name of node.required) if (typeof name === 'string') found.add(name);
  if (Array.isArray(node.allOf)) for (const part of node.allOf) requiredNames(root, part, found, depth + 1);
  return found;
}

function listedNames(root: Loose, schema: unknown, found: Set<string>, patterns: Set<string>, depth = 0): void {
  const node = deref(root, schema);
  if (!node || depth > 32) return;
  if (isObject(node.properties)) for (const name of Object.keys(node.properties)) found.add(name);
  if (isObject(node.patternProperties)) for (const pattern of Object.keys(node.patternProperties)) patterns.add(pattern);
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const list = node[keyword];
    if (Array.isArray(list)) for (const child of list) listedNames(root, child, found, patterns, depth + 1);
  }
}

/**
 * Closes the alternatives of a converted `oneOf` against each other (strict objects): an alternative
 * refuses the properties that another alternative lists and it does not (unless the enclosing
 * schema lists them beside the oneOf). Properties that no alternative lists are left to the
 * closing of the value position around, which knows the whole object; so this needs no knowledge
 * of where the schema is used, and a `oneOf` inside an `allOf` with a base schema keeps working.
 */
export function closeAlternatives(root: Loose, source: Loose, out: Loose): void {
  if (!Array.isArray(out.oneOf) || !Array.isArray(source.oneOf) || source.oneOf.length < 2) return;
  const raw = source.oneOf;
  const beside = new Set<string>();
  listedNames(root, { properties: source.properties, allOf: source.allOf }, beside, new Set());
  const own = raw.map((branch) => {
    const names = new Set<string>();
    listedNames(root, branch, names, new Set());
    return names;
  });
  out.oneOf = out.oneOf.map((branch, index) => {
    if (!isObject(branch)) return branch;
    const foreign = new Set<string>();
    own.forEach((names, other) => {
      if (other !== index) for (const name of names) if (!own[index]!.has(name) && !beside.has(name)) foreign.add(name);
    });
    if (foreign.size === 0) return branch;
    // `properties: { name: false }`: present means invalid; absent is fine.
    return { ...branch, properties: { ...Object.fromEntries([...foreign].map((name) => [name, false])), ...(isObject(branch.properties) ? branch.properties : {}) } };
  });
}
