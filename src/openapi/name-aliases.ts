/**
 * Names that the gateway and an upstream could read as different parameters (issue 12: "validate
 * it as the upstream will read it"). A name the operation does not declare passes the gateway
 * unchecked (unknown query parameters are allowed by default, an open form schema keeps extra
 * fields), yet common servers read some such names as a declared parameter:
 * - brackets: `n[]=50`, `n[0]=50`, `n[x]=50` are the parameter `n` to qs (Express), PHP and Rails;
 * - dots: `n.x=50` is `n` to ASP.NET and Spring binding, and qs with `allowDots`;
 * - case: `N=50` is `n` to ASP.NET Core model binding, which matches names case-insensitively;
 * - PHP name mangling: `page.size`, `page size` and `page[size` arrive as `page_size` in `$_GET`,
 *   ` n` as `n`;
 * - Spring's data binder: `!n=50` is the default value of `n`;
 * - headers: `X_Id` is `HTTP_X_ID`, the same as `X-Id`, to CGI-style servers (PHP, WSGI, Rack).
 * So `n=5&n[]=50` (or just `n[]=50`) would pass a `maximum: 10` check on `n` while the upstream
 * reads 50. Such a name is refused: it is not the declared parameter, and it could be read as it.
 * The index is built once per list of declared names, at the first request that needs it.
 */
import type { ParameterSpec } from './parameters.js';

/** Canonical spelling → the declared name it stands for. */
export type AliasIndex = ReadonlyMap<string, string>;

const indexes = new WeakMap<readonly ParameterSpec[], AliasIndex>();

/** PHP turns ` ` and `.` in a top-level name into `_` (and drops a bracket suffix: an array). */
const phpName = (name: string) => name.replace(/[ .]/g, '_');

/**
 * The index of query-style names (query parameters, form fields): each declared name, and the
 * property names of exploded form objects, under their lower-case and PHP spellings.
 */
export function queryAliasIndex(specs: readonly ParameterSpec[]): AliasIndex {
  const known = indexes.get(specs);
  if (known) return known;
  const index = new Map<string, string>();
  for (const spec of specs) {
    for (const name of [spec.name, ...spec.objectKeys]) {
      index.set(name.toLowerCase(), name);
      index.set(phpName(name).toLowerCase(), name);
    }
  }
  indexes.set(specs, index);
  return index;
}

/**
 * The declared name an undeclared query name or form field could be read as, else undefined.
 * `name` is decoded; callers pass only names that matched no declared parameter.
 */
export function queryAliasOf(index: AliasIndex, name: string): string | undefined {
  if (index.size === 0) return undefined;
  const lower = name.toLowerCase();
  // PHP drops leading spaces; Spring's data binder reads `!n` as the default value of `n`.
  const trimmed = lower.replace(/^ +/, '').replace(/^!/, '');
  const bracket = trimmed.indexOf('[');
  const base = bracket === -1 ? trimmed : trimmed.slice(0, bracket);
  const dot = base.indexOf('.');
  const candidates = [lower, trimmed, base, phpName(base), dot === -1 ? undefined : base.slice(0, dot)];
  // PHP turns an unclosed `[` into `_`: `page[size=50` is `page_size`.
  if (bracket !== -1 && !trimmed.includes(']', bracket)) candidates.push(phpName(`${base}_${trimmed.slice(bracket + 1)}`));
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const declared = index.get(candidate);
    if (declared !== undefined && declared !== name) return declared;
  }
  return undefined;
}

const headerIndexes = new WeakMap<readonly ParameterSpec[], AliasIndex>();

/** Header names as CGI-style servers read them: `-` and `_` are the same. */
export function headerAliasIndex(specs: readonly ParameterSpec[]): AliasIndex {
  const known = headerIndexes.get(specs);
  if (known) return known;
  const index = new Map(specs.map((spec) => [spec.key.replace(/_/g, '-'), spec.key] as const));
  headerIndexes.set(specs, index);
  return index;
}

/** The declared header (lower-case) a received header name (lower-case) could be read as, else undefined. */
export function headerAliasOf(index: AliasIndex, name: string): string | undefined {
  if (index.size === 0) return undefined;
  const declared = index.get(name.replace(/_/g, '-'));
  return declared !== undefined && declared !== name ? declared : undefined;
}

/**
 * Query and form names that make common servers act on another method than the request's: Rack
 * (Rails), Symfony and Laravel read `_method`, Express's method-override and Jersey read it from
 * the query, ASP.NET MVC reads `X-HTTP-Method-Override` from the query and the form. A POST the
 * gateway routed, authorized and validated as POST would run as DELETE. The headers of the same
 * meaning are never forwarded (server/forwarding.ts); these names are refused.
 */
const METHOD_OVERRIDE_NAMES = new Set(['_method', 'x-http-method-override', 'x-http-method', 'x-method-override']);

/** A decoded query or form name is a method override as those servers read it (PHP turns `.` and ` ` into `_`). */
export function isMethodOverrideName(name: string): boolean {
  const bracket = name.indexOf('[');
  const base = (bracket === -1 ? name : name.slice(0, bracket)).toLowerCase().trim();
  if (METHOD_OVERRIDE_NAMES.has(base)) return true;
  // Checked for every key of every JSON body: the PHP spelling is built only when it differs.
  return (base.includes(' ') || base.includes('.')) && METHOD_OVERRIDE_NAMES.has(base.replace(/[ .]/g, '_'));
}

