/**
 * The host a request names (its Host header, or the authority of an absolute-form target), read
 * by one strict grammar and put in one canonical form, which the gateway both routes on and
 * forwards (Host with preserveHost, X-Forwarded-Host, `Forwarded: host=`). An upstream can then
 * never be told of another host than the one whose route's policies ran.
 *
 * Accepted (RFC 9110 §7.2, RFC 9112 §3.2, RFC 3986 §3.2.2, narrowed to what hosts are in practice):
 * - a DNS name or IPv4 address: labels of ASCII letters, digits, `-` and `_`, 1 to 63 characters,
 *   separated by single dots, 253 characters at most, and one optional trailing dot;
 * - an IPv6 literal in brackets (no zone identifier, no IPvFuture);
 * - an optional port: 1 to 5 digits, 65535 at most.
 * Refused: everything else, such as userinfo (`a@b`), a path, spaces, commas, quotes,
 * percent-escapes, an empty or non-numeric port. reg-name allows sub-delims (RFC 3986), but no
 * host has them, and a comma or quote in a forwarded host is how header values get split or broken.
 *
 * Canonical form: lower-case (hosts are case-insensitive, RFC 3986 §3.2.2) and without the
 * trailing dot (`admin.example.com.` is the fully qualified `admin.example.com`; a server that
 * compared them as strings would treat one name as two).
 */
import { isIP } from 'node:net';

export type Authority =
  | { readonly ok: true; /** Host, canonical, without port ('' for an empty Host). */ readonly host: string; /** host[:port], canonical. */ readonly authority: string }
  | { readonly ok: false; readonly reason: string };

const LABELS = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * Reads `uri-host [":" port]`. An empty value is the empty authority (an HTTP/1.1 request to a
 * URI without one sends `Host:` empty, RFC 9112 §3.2); callers that need a host refuse it.
 */
export function parseAuthority(value: string): Authority {
  if (value === '') return { ok: true, host: '', authority: '' };
  const lower = value.toLowerCase();
  let host: string;
  let rest: string;
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    if (close === -1) return { ok: false, reason: 'an IPv6 literal without its closing bracket' };
    const literal = lower.slice(1, close);
    // isIP accepts a zone (`fe80::1%eth0`); a zone means nothing beyond the sender's own host.
    if (literal.includes('%') || isIP(literal) !== 6) return { ok: false, reason: 'an invalid IPv6 literal' };
    host = lower.slice(0, close + 1);
    rest = lower.slice(close + 1);
  } else {
    const colon = lower.indexOf(':');
    host = colon === -1 ? lower : lower.slice(0, colon);
    rest = colon === -1 ? '' : lower.slice(colon);
    if (host.endsWith('.')) host = host.slice(0, -1);
    if (!LABELS.test(host) || host.length > 253) return { ok: false, reason: 'characters or labels that are not a host name' };
  }
  if (rest === '') return { ok: true, host, authority: host };
  const port = rest.slice(1);
  if (rest[0] !== ':' || !PORT.test(port) || Number(port) > 65535) return { ok: false, reason: 'a port that is not a number from 0 to 65535' };
  return { ok: true, host, authority: `${host}:${port}` };
}

/**
 * A route's `host` as configured (`Admin.Example.com.`, `*.example.com`) in the canonical form
 * requests are matched in.
 */
export function canonicalRouteHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
