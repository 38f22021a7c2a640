/**
 * Checks on a request head, made before any route or policy sees it, that decide whether the
 * gateway can read the request exactly as the upstream will:
 * - framing (RFC 9112 §6.1): Transfer-Encoding in an HTTP/1.0 request, or any transfer coding
 *   but a single `chunked`, leaves the body's end open to interpretation. Such a request is
 *   answered, the connection closed, and nothing else read from that connection is served;
 * - the host (RFC 9112 §3.2): exactly one Host on HTTP/1.1, a valid `uri-host [":" port]`; an
 *   absolute-form target's authority replaces it (§3.2.2), so routing and forwarding agree;
 * - credentials: a header a credential is read from (Authorization, an API key header) appears
 *   at most once. Two would let the gateway check one while a server reading the other (or both,
 *   joined) acts on another.
 * Node's parser (llhttp) already refuses the other framing faults: Content-Length beside
 * Transfer-Encoding, two different Content-Lengths, chunked not last, bad chunk sizes.
 */
import type { IncomingMessage } from 'node:http';
import { parseAuthority, type Authority } from '../core/authority.js';
import { GatewayError } from '../core/errors.js';

export interface HeadVerdict {
  /** Canonical host without port ('' when there is none); see core/authority.ts. */
  readonly host: string;
  /** Canonical host[:port] ('' when there is none): routed on and forwarded. */
  readonly authority: string;
  readonly problem: GatewayError | undefined;
  /** The framing cannot be trusted: answer, close, and serve nothing more from the connection. */
  readonly framingFault: boolean;
}

/** Header names whose duplicates are always refused, whatever the policies read. */
export const ALWAYS_CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'proxy-authorization'];

const DISPLAY_NAMES: Readonly<Record<string, string>> = { authorization: 'Authorization', 'proxy-authorization': 'Proxy-Authorization', host: 'Host' };

/**
 * @param targetAuthority the raw authority of an absolute-form target, undefined for origin-form.
 * @param credentialHeaders lower-case names of headers a credential is read from on this runtime.
 */
export function checkRequestHead(req: IncomingMessage, targetAuthority: string | undefined, credentialHeaders: ReadonlySet<string>): HeadVerdict {
  const http10 = req.httpVersionMajor === 1 && req.httpVersionMinor === 0;
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding !== undefined) {
    if (http10) return fault('request.malformed', 'An HTTP/1.0 request cannot use Transfer-Encoding (RFC 9112 §6.1).');
    // Node decodes chunked only: another coding would reach the upstream still coded, unframed.
    if (!/^chunked$/i.test(transferEncoding.trim())) return fault('request.not_implemented', 'The only transfer coding accepted is a single chunked.');
  }

  let hosts = 0;
  const raw = req.rawHeaders;
  let seen: Set<string> | undefined;
  const lengths = namedLengths(credentialHeaders);
  for (let i = 0; i < raw.length; i += 2) {
    // Only names as long as one looked for are lower-cased: this runs on every request.
    if (!lengths.has(raw[i]!.length)) continue;
    let name = raw[i]!.toLowerCase();
    // X_Api_Key reaches CGI-style servers as HTTP_X_API_KEY, the same as X-Api-Key: one name.
    if (name.includes('_')) name = name.replace(/_/g, '-');
    if (name === 'host') hosts++;
    else if (credentialHeaders.has(name)) {
      if (seen?.has(name)) return refuse(`The request carries ${DISPLAY_NAMES[name] ?? name} more than once: a credential must be named once.`);
      (seen ??= new Set()).add(name);
    }
  }
  if (hosts > 1) return refuse('The request has more than one Host header (RFC 9112 §3.2).');
  const hostHeader = req.headers.host;
  if (hostHeader === undefined && !http10) return refuse('An HTTP/1.1 request needs a Host header (RFC 9112 §3.2).');
  const fromHeader = cachedAuthority(hostHeader ?? '');
  if (!fromHeader.ok) return refuse(`The Host header is not a host and optional port: it has ${fromHeader.reason}.`);
  if (targetAuthority === undefined) return { host: fromHeader.host, authority: fromHeader.authority, problem: undefined, framingFault: false };
  // RFC 9112 §3.2.2: the target's authority is the host, whatever Host says.
  const fromTarget = cachedAuthority(targetAuthority);
  if (!fromTarget.ok || fromTarget.host === '') return refuse(`The request target's authority is not a host and optional port${fromTarget.ok ? '' : `: it has ${fromTarget.reason}`}.`);
  return { host: fromTarget.host, authority: fromTarget.authority, problem: undefined, framingFault: false };
}

/** Lengths of the header names looked for (Host and the credential headers), per runtime's set. */
const lengthsBySet = new WeakMap<ReadonlySet<string>, ReadonlySet<number>>();
function namedLengths(credentialHeaders: ReadonlySet<string>): ReadonlySet<number> {
  let lengths = lengthsBySet.get(credentialHeaders);
  if (!lengths) lengthsBySet.set(credentialHeaders, (lengths = new Set([4, ...[...credentialHeaders].map((name) => name.length)])));
  return lengths;
}

/**
 * Hosts repeat from request to request: their verdicts are kept, up to a bound (a client sending
 * ever new hosts only empties the cache, it cannot grow it).
 */
const authorities = new Map<string, Authority>();
const MAX_CACHED_AUTHORITIES = 1024;
function cachedAuthority(value: string): Authority {
  let verdict = authorities.get(value);
  if (verdict === undefined) {
    if (authorities.size >= MAX_CACHED_AUTHORITIES) authorities.clear();
    authorities.set(value, (verdict = parseAuthority(value)));
  }
  return verdict;
}

function refuse(detail: string): HeadVerdict {
  return { host: '', authority: '', problem: new GatewayError('request.malformed', { detail }), framingFault: false };
}

function fault(code: 'request.malformed' | 'request.not_implemented', detail: string): HeadVerdict {
  return { host: '', authority: '', problem: new GatewayError(code, { detail }), framingFault: true };
}
