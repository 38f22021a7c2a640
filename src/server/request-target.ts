/**
 * Reads the request target (RFC 9112 §3.2) into path and query, and makes the path one that every
 * server reads the same way, since the gateway matches routes on it and forwards it as is.
 * - Percent-encoded unreserved characters are decoded and other escapes upper-cased (RFC 3986
 *   §6.2.2): `/%61dmin` is `/admin` for the router as it is for the upstream.
 * - Refused: dot segments (also encoded), encoded `/` `\` NUL, a raw `\`, empty segments (`//`),
 *   `;` (path parameters, which some servers strip: `/public/..;/admin`), `#`, control characters,
 *   and malformed escapes.
 * - Refused too: a fragment (`#`, dropped by the upstream's URL parser with what follows it) and a
 *   method override in the query (`_method=DELETE`, name-aliases.ts).
 * Without this, a gateway that matched `/public/..%2fadmin` as public while the upstream resolved
 * it to `/admin` would let a client walk around the route's policies.
 */
import { isMethodOverrideName } from '../openapi/name-aliases.js';

export type RequestTarget =
  | { ok: true; path: string; search: string; authority: string | undefined }
  | { ok: false; reason: string; path: string; search: string; authority: undefined };

const AMBIGUOUS_ENCODING = /%(2f|5c|00)/i;
const DOT_SEGMENT = /^\.{1,2}$/;
// Printable ASCII except space, `#`, `;` and `\`, plus percent escapes.
const SAFE_PATH = /^[!$%&'()*+,\-./0-9:=?@A-Z[\]^_`a-z{|}~]*$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** What a refused target is logged as: cut short, userinfo removed, query kept for the log's redaction. */
function refuse(reason: string, url: string): RequestTarget {
  const cut = url.slice(0, 512).replace(/^(https?:\/\/)[^/@]*@/i, '$1[REDACTED]@');
  const queryAt = cut.indexOf('?');
  return { ok: false, reason, path: queryAt === -1 ? cut : cut.slice(0, queryAt), search: queryAt === -1 ? '' : cut.slice(queryAt), authority: undefined };
}

/** A target longer than the listener accepts (414, RFC 9112 §3): not parsed, only cut for the log. */
export function tooLongTarget(url: string): RequestTarget {
  return refuse('request target longer than the limit', url);
}

export function parseRequestTarget(url: string | undefined): RequestTarget {
  if (url === undefined || url === '') return refuse('empty request target', '');
  let target = url;
  let authority: string | undefined;
  if (!target.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2) is accepted, and its authority is the host (§3.2.2 again);
    // authority-form (CONNECT) and asterisk-form (OPTIONS *) are not for a reverse proxy.
    const scheme = /^https?:\/\//i.exec(target);
    if (!scheme) return refuse('unsupported request target form', url);
    // The authority is taken as sent, up to the path or query, and checked by the same grammar as
    // Host (core/authority.ts), not through a URL parser that rewrites it (`\` as `/`, `0x7f.1`
    // as `127.0.0.1`): the gateway routes on and forwards one and the same text.
    const start = scheme[0].length;
    let end = start;
    while (end < target.length && target[end] !== '/' && target[end] !== '?' && target[end] !== '#') end++;
    authority = target.slice(start, end);
    if (authority.includes('@')) return refuse('credentials in the request target', url);
    target = end === target.length || target[end] !== '/' ? `/${target.slice(end)}` : target.slice(end);
  }
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const search = queryAt === -1 ? '' : target.slice(queryAt);
  // RFC 9112 §3.2: a request-target has no fragment. Node's parser lets `#` through and the
  // upstream's URL parser drops what follows it, so `?a=x#&n=5` would be checked with `n` and
  // read without it: refused like the other characters servers read differently.
  if (search.includes('#')) return refuse('a fragment (#) in the request target', url);
  if (search.length > 1 && hasMethodOverride(search.slice(1))) return refuse('a method override (_method, X-HTTP-Method-Override) in the query: send the method itself', url);
  if (!SAFE_PATH.test(rawPath)) return refuse('characters in the path that servers read differently (;, #, \\, spaces or controls)', url);
  let path = rawPath;
  if (path.includes('%')) {
    if (AMBIGUOUS_ENCODING.test(path)) return refuse('encoded slash, backslash or NUL in path', url);
    const normalized = normalizeEscapes(path);
    if (normalized === undefined) return refuse('invalid percent-encoding in path', url);
    path = normalized;
  }
  if (path.includes('//')) return refuse('empty segment in path', url);
  if (path.includes('.')) {
    for (const segment of path.split('/')) if (DOT_SEGMENT.test(segment)) return refuse('dot segment in path', url);
  }
  return { ok: true, path, search, authority };
}

/** RFC 3986 §6.2.2.1–2: upper-case escapes, decode the ones that stand for unreserved characters. */
function normalizeEscapes(path: string): string | undefined {
  let valid = true;
  const normalized = path.replace(/%(..)?/g, (_match, hex: string | undefined) => {
    if (hex === undefined || !/^[0-9A-Fa-f]{2}$/.test(hex)) {
      valid = false;
      return '';
    }
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return valid ? normalized : undefined;
}

/** The query (without `?`) names a method override, in `&` or `;` separated pairs. */
export function hasMethodOverride(query: string): boolean {
  if (!query.includes('%') && !query.toLowerCase().includes('method')) return false;
  for (const pair of query.split(/[&;]/)) {
    const eq = pair.indexOf('=');
    const raw = (eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
    let name = raw;
    try {
      name = decodeURIComponent(raw);
    } catch {
      // kept as sent: a server that cannot decode it cannot read it as _method either
    }
    if (isMethodOverrideName(name)) return true;
  }
  return false;
}
