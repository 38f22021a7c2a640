/**
 * The one outbound HTTP client: every connection the gateway opens to another server (upstreams,
 * issuer discovery and JWKS, CRLs, OCSP) is made by a dispatcher from here and passes one connect
 * hook. See docs/tls.md, "Outbound connections".
 */
export { allOf, allowAll, OutboundRefusedError, type ConnectHook, type OutboundConnection, type OutboundPurpose } from './connect-hook.js';
export { createOutboundDispatcher, DEFAULT_OUTBOUND_TLS, OUTBOUND_DEFAULTS, type OutboundDispatcherOptions, type OutboundTls } from './dispatcher.js';
export { Outbound, type FetchPurpose, type OutboundOptions, type UpstreamPoolOptions } from './outbound.js';
export { EgressDeniedError, EgressGuard, type EgressDecision, type EgressPolicyInput } from './egress-guard.js';
export { canonicalHost, defaultPort, destinationOfUrl, EgressRules, localClassesOf, type EgressDenial, type EgressDenialReason, type EgressDestination, type EgressMode } from './egress-policy.js';
export { addressClass, PUBLIC_ADDRESS_CLASS } from './address-ranges.js';
