/**
 * What the gateway reads from a request's head once, before deciding anything: the client IP (via
 * trusted proxies), the request target, the Host and framing checks, the client certificate and
 * whether it is a CORS preflight. The admission table (admission.ts) decides on these facts and
 * the request context (request-context.ts) is built from them, so each is computed exactly once.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ClientCertificate } from '../core/context.js';
import { normalizeIp, resolveClientIp, type ClientIpResult } from '../net/client-ip.js';
import type { ListenerTls } from './listener-tls.js';
import { checkRequestHead, type HeadVerdict } from './request-head.js';
import { parseRequestTarget, tooLongTarget, type RequestTarget } from './request-target.js';
import type { Runtime } from './runtime.js';

export interface ListenerInfo {
  readonly name: string;
  readonly protocol: 'http' | 'https';
  readonly bodyIdleTimeoutMs: number;
  /** Longest request target accepted; longer gets 414 (RFC 9112 §3). */
  readonly maxUriBytes: number;
  /** An HTTPS listener's TLS state (replaced on reload); undefined for plain HTTP. */
  readonly tls: () => ListenerTls | undefined;
  /** A plain-HTTP listener: serve, redirect to HTTPS (308) or refuse (403). */
  readonly plainHttp: 'serve' | 'redirect' | 'refuse';
  readonly httpsPort: number;
}

export interface RequestFacts {
  readonly req: IncomingMessage;
  readonly runtime: Runtime;
  readonly listener: ListenerInfo;
  /** The gateway is past overload.maxInFlight: this request is to be shed. */
  readonly shed: boolean;
  readonly method: string;
  readonly uriTooLong: boolean;
  readonly target: RequestTarget;
  /** Framing, Host (an absolute-form target's authority replaces it, RFC 9112 §3.2.2), credentials. */
  readonly head: HeadVerdict;
  readonly peerIp: string;
  readonly ip: ClientIpResult;
  readonly tls: ListenerTls | undefined;
  readonly clientCertificate: ClientCertificate | undefined;
  /** OPTIONS with Origin and Access-Control-Request-Method (Fetch standard, CORS protocol). */
  readonly isPreflight: boolean;
}

export function readRequestFacts(req: IncomingMessage, runtime: Runtime, listener: ListenerInfo, shed: boolean): RequestFacts {
  const peerIp = normalizeIp(req.socket.remoteAddress);
  const url = req.url ?? '';
  const uriTooLong = url.length > listener.maxUriBytes;
  const target = uriTooLong ? tooLongTarget(url) : parseRequestTarget(url);
  const method = req.method ?? 'GET';
  const tls = listener.tls();
  return {
    req,
    runtime,
    listener,
    shed,
    method,
    uriTooLong,
    target,
    head: checkRequestHead(req, target.authority, runtime.credentialHeaders),
    peerIp,
    ip: resolveClientIp(peerIp, req.headers['x-forwarded-for'], runtime.trustedProxies),
    tls,
    clientCertificate: tls?.inspect(req.socket as TLSSocket),
    isPreflight: method === 'OPTIONS' && req.headers.origin !== undefined && typeof req.headers['access-control-request-method'] === 'string',
  };
}
