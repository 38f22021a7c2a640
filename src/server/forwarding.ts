/**
 * What the upstream sees of a request: end-to-end headers only (hop-by-hop ones are removed,
 * RFC 9110 §7.6.1), the forwarding headers (RFC 7239 `Forwarded` and the X-Forwarded-* family),
 * the request id and the gateway's own trace span. A client's forwarding headers survive only
 * when the socket peer is a trusted proxy.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMap, RequestContext } from '../core/context.js';
import { formatTraceparent } from '../core/trace-context.js';

/** RFC 9110 §7.6.1 plus the proxy-auth pair (§11.7) and Expect, which this hop already answered. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'proxy-authorization', 'proxy-authenticate', 'expect', 'http2-settings']);

/** Copies a header map without hop-by-hop headers, including those the Connection header names. */
export function endToEndHeaders(source: IncomingHttpHeaders | HeaderMap, skip?: ReadonlySet<string>): HeaderMap {
  const listed = connectionListed(source.connection);
  const out: HeaderMap = {};
  for (const name in source) {
    if (HOP_BY_HOP.has(name) || listed?.has(name) || skip?.has(name)) continue;
    // X_Consumer_Id reads as HTTP_X_CONSUMER_ID to CGI-style servers, just like X-Consumer-Id.
    if (name.includes('_') && skip?.has(name.replace(/_/g, '-'))) continue;
    const value = source[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Never forwarded: headers that ask the upstream to act on another method or path than the one
 * the gateway routed and authorized.
 */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-method', 'x-original-url', 'x-rewrite-url'];

/**
 * Client-address and proxy headers in other dialects than X-Forwarded-*: believed by some
 * upstreams, so forwarded only from a trusted proxy.
 */
const PROXY_ONLY_HEADERS = new Set(['x-real-ip', 'true-client-ip', 'x-client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server', 'x-forwarded-ssl', 'x-forwarded-scheme', 'x-scheme']);

/** Per upstream, built once at load: what the gateway sets itself rather than passing through. */
/** Header names the Connection header lists (RFC 9110 §7.6.1); undefined for the usual bare options. */
function connectionListed(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const value = String(connection).toLowerCase();
  // Nearly every request says just keep-alive or close: skip building a set for those.
  if (value === 'keep-alive' || value === 'close') return undefined;
  return new Set(value.split(',').map((name) => name.trim()));
}

export interface ForwardingOptions {
  readonly requestIdHeader: string;
  readonly preserveHost: boolean;
  /**
   * The upstream's credential header, computed per request: a `${secret:…}` credential is read
   * from the vault at each use, so a newly promoted version is sent without a reload.
   */
  readonly authHeader: (() => readonly [string, string]) | undefined;
  /** Incoming headers the gateway replaces with its own values. */
  readonly gatewaySet: ReadonlySet<string>;
  /** The same, plus the headers only a trusted proxy may send. */
  readonly gatewaySetUntrusted: ReadonlySet<string>;
}

export function forwardingOptions(requestIdHeader: string, preserveHost: boolean, authHeader: (() => readonly [string, string]) | undefined, ownedHeaders: readonly string[]): ForwardingOptions {
  const gatewaySet = new Set(['host', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'traceparent', 'tracestate', requestIdHeader, ...OVERRIDE_HEADERS, ...ownedHeaders]);
  return { requestIdHeader, preserveHost, authHeader, gatewaySet, gatewaySetUntrusted: new Set([...gatewaySet, ...PROXY_ONLY_HEADERS]) };
}

/**
 * The headers of one upstream attempt. `traceHeaders`: the Trace Context headers naming the
 * attempt's client span (tracing on, observability/tracing.ts); without them (tracing off) the
 * gateway's own span id from ctx.trace is sent. Either way exactly one traceparent goes upstream.
 */
export function buildUpstreamHeaders(ctx: RequestContext, options: ForwardingOptions, upstreamHost: string, traceHeaders?: Readonly<Record<string, string>>): HeaderMap {
  const incoming = ctx.req.headers;
  const trusted = ctx.peerTrusted;
  const headers = endToEndHeaders(incoming, trusted ? options.gatewaySet : options.gatewaySetUntrusted);
  // The authority the route was matched on (absolute-form target or Host, validated and
  // canonical): the upstream is told of no other host (RFC 9112 §3.2.2).
  const originalHost = ctx.authority;

  headers.host = options.preserveHost && originalHost !== '' ? originalHost : upstreamHost;
  headers['x-forwarded-for'] = trusted && incoming['x-forwarded-for'] ? `${String(incoming['x-forwarded-for'])}, ${ctx.peerIp}` : ctx.peerIp;
  headers['x-forwarded-proto'] = trusted && incoming['x-forwarded-proto'] ? String(incoming['x-forwarded-proto']) : ctx.protocol;
  if (trusted && incoming['x-forwarded-host']) headers['x-forwarded-host'] = String(incoming['x-forwarded-host']);
  else if (originalHost !== '') headers['x-forwarded-host'] = originalHost;
  const element = `for=${forwardedNode(ctx.peerIp)}${forwardedHostProto(originalHost, ctx.protocol)}`;
  headers.forwarded = trusted && incoming.forwarded ? `${String(incoming.forwarded)}, ${element}` : element;

  headers[options.requestIdHeader] = ctx.requestId;
  if (traceHeaders) Object.assign(headers, traceHeaders);
  else {
    headers.traceparent = formatTraceparent(ctx.trace);
    if (ctx.trace.traceState !== undefined) headers.tracestate = ctx.trace.traceState;
  }

  for (const name of ctx.removedHeaders) delete headers[name];
  for (const name in ctx.upstreamHeaders) headers[name] = ctx.upstreamHeaders[name]!;
  if (options.authHeader) {
    const [name, value] = options.authHeader();
    headers[name] = value;
  }
  return headers;
}

/** RFC 7239 §6: IPv6 nodes are bracketed and the whole value quoted (the peer address is an IP: only IPv6 has colons). */
function forwardedNode(ip: string): string {
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

/**
 * The `;host=…;proto=…` part of a Forwarded element. Hosts and protocols repeat from request to
 * request, so each text is built once, up to a bound (new hosts only empty the cache, never grow it).
 */
const hostProtoParts = new Map<string, string>();
const MAX_HOST_PROTO_PARTS = 1024;
function forwardedHostProto(host: string, protocol: 'http' | 'https'): string {
  // A validated authority has no space: the key cannot be mistaken for another protocol's.
  const key = `${protocol} ${host}`;
  let part = hostProtoParts.get(key);
  if (part === undefined) {
    if (hostProtoParts.size >= MAX_HOST_PROTO_PARTS) hostProtoParts.clear();
    // An HTTP/1.0 request may come without Host; then there is no host to report.
    part = `${host === '' ? '' : `;host=${quote(host)}`};proto=${protocol}`;
    hostProtoParts.set(key, part);
  }
  return part;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
