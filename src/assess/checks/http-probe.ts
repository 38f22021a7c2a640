/**
 * The HTTP side of `portcullis assess` (issue 23 §3): plain GETs to the provider's API, its
 * discovery documents, JWKS and security.txt, each through one undici dispatcher of the project's
 * outbound client (src/outbound), never following a redirect (a redirect is an answer to judge,
 * not a hop to take) and reading at most MAX_BODY_BYTES of a body.
 *
 * The CLI builds the dispatcher from the target (the default roots plus `--ca-file`, no egress rules:
 * the operator named the host); the gateway's continuous mode hands in one made by its own
 * Outbound, so every request passes its egress guard like any other outbound connection.
 */
import * as oauth from 'oauth4webapi';
import { fetch, request, type Dispatcher } from 'undici';
import { readCappedBody } from '../../net/read-capped.js';
import { createOutboundDispatcher, DEFAULT_OUTBOUND_TLS } from '../../outbound/index.js';
import type { AssessCheck, AssessFinding, AssessRule, AssessTarget } from '../finding.js';
import { trustedCas } from '../tls/trust.js';

/** Bodies past this many bytes are not read (a discovery document or security.txt is a few KiB). */
export const MAX_BODY_BYTES = 256 * 1024;

/** One response as the checks see it: header names lower-cased, the body as text. */
export interface HttpReply {
  readonly url: string;
  readonly status: number;
  /** Lower-cased names; a repeated header's values joined with `, ` (RFC 9110 §5.3). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How the checks reach the provider: a GET, and the options oauth4webapi's requests take. */
export interface AssessHttp {
  /** GET `url`; throws on a network or TLS failure, a timeout, or a body past MAX_BODY_BYTES. */
  get(url: URL | string, headers?: Record<string, string>): Promise<HttpReply>;
  /** Options for oauth4webapi's `discoveryRequest` (custom fetch over the dispatcher, timeout). */
  oauthOptions(allowHttp: boolean): oauth.DiscoveryRequestOptions;
  close(): Promise<void>;
}

/** Makes the AssessHttp of one run against `target` (the CLI's default, or the gateway's). */
export type AssessHttpFactory = (target: AssessTarget) => AssessHttp;

/** The CLI's: the hardened outbound TLS profile, the default roots plus the target's CA file (tls/trust.ts), no egress rules. */
export const cliAssessHttp: AssessHttpFactory = (target) => {
  const ca = trustedCas(target);
  const tls = ca ? { ...DEFAULT_OUTBOUND_TLS, ca } : DEFAULT_OUTBOUND_TLS;
  const agent = createOutboundDispatcher({ purpose: 'discovery', tls, connectTimeoutMs: target.timeoutMs, headersTimeoutMs: target.timeoutMs, bodyTimeoutMs: target.timeoutMs });
  return assessHttpOver(agent, target.timeoutMs, () => agent.close());
};

/** An AssessHttp over `dispatcher`; `close` is what closing it does (nothing for a shared agent). */
export function assessHttpOver(dispatcher: Dispatcher, timeoutMs: number, close: () => Promise<void> = async () => {}): AssessHttp {
  return {
    async get(url, headers = {}) {
      const target = String(url);
      const response = await request(target, { method: 'GET', headers: { accept: '*/*', 'user-agent': 'portcullis-assess', ...headers }, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
      const body = await readCappedBody(response.body, MAX_BODY_BYTES, `the response of ${target} is larger than ${MAX_BODY_BYTES} bytes`);
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      return { url: target, status: response.statusCode, headers: flat, body: body.toString('utf8') };
    },
    oauthOptions(allowHttp) {
      return {
        [oauth.customFetch]: (url: string, init: object) => fetch(url, { ...init, dispatcher, redirect: 'manual' } as never) as unknown as Promise<Response>,
        [oauth.allowInsecureRequests]: allowHttp,
        signal: AbortSignal.timeout(timeoutMs),
      };
    },
    close,
  };
}

/** A failure's message for a finding: the error's own message, never a stack. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** A check that reaches the provider over HTTP: one AssessHttp per run, closed when the run ends. */
export function httpCheck(name: string, rules: readonly AssessRule[], http: AssessHttpFactory, run: (target: AssessTarget, client: AssessHttp) => Promise<AssessFinding[]>): AssessCheck {
  return {
    name,
    rules,
    async run(target) {
      const client = http(target);
      try {
        return await run(target, client);
      } finally {
        await client.close();
      }
    },
  };
}
