/**
 * Reads the request target (RFC 9112 §3.2) into path and query, refusing paths that different
 * servers could read differently: dot segments, encoded slashes or backslashes, NUL. A gateway that
 * matched `/public/..%2fadmin` as public while the upstream resolved it to `/admin` would let a
 * client walk around its route policies.
 */
export type RequestTarget = { ok: true; path: string; search: string } | { ok: false; reason: string; path: string; search: string };

const AMBIGUOUS_ENCODING = /%(2f|5c|00)/i;
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

/** What a refused target is logged as: cut short, query kept for redaction by the logger. */
function refuse(reason: string, url: string): RequestTarget {
  const cut = url.slice(0, 512);
  const queryAt = cut.indexOf('?');
  return { ok: false, reason, path: queryAt === -1 ? cut : cut.slice(0, queryAt), search: queryAt === -1 ? '' : cut.slice(queryAt) };
}

export function parseRequestTarget(url: string | undefined): RequestTarget {
  if (url === undefined || url === '') return refuse('empty request target', '');
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2) is accepted; authority-form and asterisk-form are not for us.
    if (!/^https?:\/\//i.test(target)) return refuse('unsupported request target form', url);
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      return refuse('invalid absolute request target', url);
    }
  }
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const search = queryAt === -1 ? '' : target.slice(queryAt);
  if (path.includes('\\')) return refuse('backslash in path', url);
  if (path.includes('%')) {
    if (AMBIGUOUS_ENCODING.test(path)) return refuse('encoded slash, backslash or NUL in path', url);
    try {
      decodeURIComponent(path);
    } catch {
      return refuse('invalid percent-encoding in path', url);
    }
  }
  if (path.includes('.')) {
    for (const segment of path.split('/')) if (DOT_SEGMENT.test(segment)) return refuse('dot segment in path', url);
  } else if (/%2e/i.test(path)) {
    for (const segment of path.split('/')) if (DOT_SEGMENT.test(segment)) return refuse('dot segment in path', url);
  }
  return { ok: true, path, search };
}
