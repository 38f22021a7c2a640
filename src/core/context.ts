/**
 * The request context: the one object that core and policies share for a request. Policies never
 * talk to each other; they read and write here.
 */
import type { IncomingMessage } from 'node:http';
import type { GatewayError } from './errors.js';
import type { JsonLimits, JsonParseResult } from '../openapi/json-limits.js';
import type { RequestState } from './request-state.js';
import type { ResponseBody } from './response-body.js';
import type { RequestSpan, TraceContext } from './trace-context.js';

export type HeaderMap = Record<string, string | string[]>;

/** An answer given without the upstream: by a policy (a CORS preflight, say) or a built-in endpoint. */
export interface DirectResponse {
  status: number;
  headers?: HeaderMap;
  body?: string | Buffer;
}

/** The route a request matched, as the pipeline needs it. */
export interface RouteInfo {
  readonly name: string;
  readonly methods: readonly string[];
  readonly upstream: string;
}

/** How the caller proved who it is. */
export type PrincipalType = 'api_key' | 'jwt' | 'client_certificate';

/**
 * Who is calling, once an authentication policy has said so. Every authentication method fills
 * the same shape, so authorization, rate limits and identity headers never care which one ran.
 */
export interface Principal {
  readonly type: PrincipalType;
  /** The consumer the credential belongs to (for an external token: the mapped consumer or subject). */
  readonly consumerId: string;
  readonly consumerName: string;
  readonly scopes: readonly string[];
  /** The credential's non-secret id (an API key id, a token's jti or kid, a certificate fingerprint), for logs. */
  readonly credentialId: string;
  /** The OAuth client the credential was issued to, when there is one. */
  readonly clientId?: string;
  /** The token or certificate subject, when it is not the consumer itself. */
  readonly subject?: string;
}

/** A client certificate presented on the connection, as verified by the listener (never by a policy). */
export interface PeerCertificate {
  /** SHA-256 of the DER certificate, lower-case hex without colons. */
  readonly fingerprint: string;
  /** Subject and issuer as RFC 4514 strings (`CN=acme, O=Acme Corp`). */
  readonly subject: string;
  readonly issuer: string;
  /** Lower-case hex, without leading zeros. */
  readonly serial: string;
  /** Subject alternative names as `DNS:host`, `URI:urn:...`, `email:a@b`, `IP:10.0.0.1`. */
  readonly altNames: readonly string[];
  readonly notAfter: number;
  /**
   * The certificate was signed directly by one of the listener's configured CA certificates (the
   * issuer from the verified chain, compared by its SHA-256, not by name). Only then can the
   * issuer's name be trusted: any trusted CA can sign an intermediate with any name.
   */
  readonly issuedByConfiguredCa: boolean;
}

/**
 * The outcome of the TLS client-certificate check: none presented (or not asked for), invalid
 * (chain, expiry or unknown revocation status under fail-closed), revoked, or verified.
 */
export type ClientCertificate =
  | { readonly status: 'none' }
  | { readonly status: 'invalid'; readonly reason: string; readonly certificate: PeerCertificate }
  | { readonly status: 'revoked' | 'verified'; readonly certificate: PeerCertificate };

/** Where a client IP is, as far as the geo database knows (undefined: not known). */
export interface GeoInfo {
  readonly country: string | undefined;
  readonly continent: string | undefined;
  readonly eu: boolean;
  readonly currency: string | undefined;
  readonly region: string | undefined;
  readonly city: string | undefined;
  readonly asn: number | undefined;
  readonly org: string | undefined;
}

/** Status and headers of the response about to be sent; respond-phase policies edit the headers. */
export interface ResponseHead {
  status: number;
  headers: HeaderMap;
  /** Where the response came from: the upstream, a gateway problem, or a policy's direct answer. */
  readonly source: 'upstream' | 'problem' | 'direct';
  /**
   * Upstream responses only: the body, decoded from its content coding, for a respond-phase policy
   * that must read, replace or transform it (response validation). Untouched, it streams through
   * as the upstream sent it. A policy using it sets PolicyHandlers.respondReadsBody.
   */
  readonly body?: ResponseBody;
}

export interface RequestContext {
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly req: IncomingMessage;
  readonly method: string;
  /** Path without the query, as received (percent-encoding kept). */
  readonly path: string;
  /** The query string including its leading `?`, or ''. A policy may remove a credential from it. */
  search: string;
  /** Host without port, canonical (core/authority.ts: lower-case, no trailing dot); '' if none. */
  readonly host: string;
  /**
   * host[:port], canonical; '' if none. From an absolute-form target, else from Host (RFC 9112
   * §3.2.2); the one authority the route was matched on and the upstream is told of.
   */
  readonly authority: string;
  readonly protocol: 'http' | 'https';
  /** The client's address: the socket peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  readonly clientIp: string;
  readonly peerIp: string;
  readonly peerTrusted: boolean;
  readonly route: RouteInfo;
  /** Route parameters by name (`*` for a wildcard tail), raw as in the path. */
  readonly params: Readonly<Record<string, string>>;
  readonly trace: TraceContext;
  /** The request's server span when tracing is on (docs/observability.md#traces); undefined when off. */
  readonly span: RequestSpan | undefined;
  /** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
  readonly isPreflight: boolean;
  /** Largest request body the proxy streams upstream; enforced byte by byte, not only by Content-Length. */
  maxBodyBytes: number;
  /** Extra headers for the upstream request, set by policies (lower-case names). */
  readonly upstreamHeaders: HeaderMap;
  /** Incoming headers not to forward (a credential the gateway consumed), lower-case. */
  readonly removedHeaders: string[];
  /** The TLS client certificate check, on an HTTPS listener; undefined on plain HTTP. */
  readonly clientCertificate: ClientCertificate | undefined;
  /** Set by an authentication policy; read by authorize and identity headers. */
  principal: Principal | undefined;
  /** Set by the geo policy. */
  geo: GeoInfo | undefined;
  /** A policy's choice of upstream for this request (data residency); else the route's. */
  upstreamName: string | undefined;
  /**
   * Reads the whole request body into memory, once, within maxBodyBytes (413 past it, 408 if it
   * stalls): for policies that must look inside the body. The proxy then sends this buffer
   * instead of streaming. Routes whose policies never call it keep streaming.
   */
  readBody(): Promise<Buffer>;
  /** The body, if a policy read it. */
  readonly bufferedBody: Buffer | undefined;
  /**
   * Replaces the body sent upstream (after readBody): a policy that rewrote it (sanitize) hands the
   * new bytes here, and the proxy sends them with their own Content-Length.
   */
  replaceBody(body: Buffer): void;
  /**
   * The body (readBody) parsed as JSON by the safe parser (openapi/safe-json.ts: strict JSON, no
   * duplicate or prototype keys, within `limits`), or undefined when it is empty. Parsed once per
   * body and limits, the result shared by every policy that asks: never mutate it. After
   * replaceBody the next call parses the new bytes, so what later policies check is what the proxy
   * forwards. Looks at no header: whether the body is JSON (media type, coding) is the caller's call.
   */
  readJson(limits: JsonLimits): Promise<JsonParseResult | undefined>;
  /**
   * Values policies pass along this request under typed keys (defineStateKey<T>(name) in
   * core/request-state.ts): from one phase to a later one, or to a policy that knows the key.
   */
  readonly state: RequestState;
  /** Set once the response head is known, before the respond phase. */
  response: ResponseHead | undefined;
  /** The error that stopped the request, if any. */
  error: GatewayError | undefined;
  /** Filled by the proxy for the access log. */
  readonly upstream: { target: string | undefined; latencyMs: number | undefined; attempts: number };
  bytesIn: number;
  bytesOut: number;
  /** Extra fields policies add to the access log line. */
  readonly logFields: Record<string, unknown>;
  /** True once the response is over: sent, or the client went away (the phases then stop). */
  readonly finished: boolean;
  /**
   * Runs `callback` once the response is over, however it ends (at once if it already is): for
   * state a request holds while it runs, such as a concurrency slot.
   */
  onFinished(callback: () => void): void;
}
