/**
 * The undici dispatcher for the gateway's own outbound fetches that have no upstream config:
 * issuer discovery and JWKS, CRLs, OCSP. It speaks the same TLS profile as the listeners and
 * upstreams (net/tls-profile.ts), so none of them offers a costly or weaker group or suite.
 * Upstream pools build their own connectors from the upstream's config.
 */
import { Agent, type Dispatcher } from 'undici';
import { OUTBOUND_TLS } from './tls-profile.js';

let agent: Agent | undefined;

/** One shared agent (created on first use): keep-alive connections are reused across fetches. */
export function outboundDispatcher(): Dispatcher {
  agent ??= new Agent({ connect: { ...OUTBOUND_TLS, rejectUnauthorized: true } });
  return agent;
}
