/**
 * The rules of the OAuth 2.0 / OpenID Connect metadata check (issue 23 §3, docs/assess.md
 * "OAuth and OpenID Connect"): what a provider's authorization server metadata (RFC 8414) or
 * OpenID Provider metadata (OIDC Discovery 1.0) and its JWK Set say about how safely a client can
 * use it, judged by the OAuth 2.0 Security Best Current Practice (RFC 9700).
 */
import type { AssessRule } from '../finding.js';

export const OAUTH_RULES = {
  noMetadata: {
    id: 'AS-OAUTH-001',
    severity: 'medium',
    title: 'No authorization server metadata at the issuer',
    why: 'Without RFC 8414 / OIDC Discovery metadata a client hard-codes endpoints and cannot tell which protections (PKCE, RFC 9207) the provider offers.',
    fix: 'Publish /.well-known/oauth-authorization-server (RFC 8414) or /.well-known/openid-configuration at the issuer; check the --oauth-issuer given.',
  },
  issuerMismatch: {
    id: 'AS-OAUTH-002',
    severity: 'high',
    cap: 'C',
    title: 'The metadata names another issuer than the one it was fetched for',
    why: 'RFC 8414 §3.3 and OIDC Discovery §4.3: the issuer must be identical to the discovery URL\'s issuer, or a client can be mixed up between providers (RFC 9700 §4.4).',
    fix: 'Serve the metadata with `issuer` exactly equal to the issuer identifier it is published under.',
  },
  endpointNotHttps: {
    id: 'AS-OAUTH-003',
    severity: 'high',
    cap: 'C',
    title: 'An endpoint of the metadata is not https',
    why: 'RFC 6749 §3.1 and §3.2, RFC 8414 §2: credentials, codes and tokens sent to an http endpoint travel in clear text.',
    fix: 'Publish every endpoint and the jwks_uri as https URLs.',
  },
  implicitGrant: {
    id: 'AS-OAUTH-004',
    severity: 'medium',
    cap: 'B',
    title: 'The implicit grant is offered',
    why: 'RFC 9700 §2.1.2: access tokens in the authorization response leak through browser history, referrers and injection; the implicit grant should not be used.',
    fix: 'Drop `implicit` from grant_types_supported and `token` response types; offer the authorization code grant with PKCE.',
  },
  passwordGrant: {
    id: 'AS-OAUTH-005',
    severity: 'high',
    cap: 'B',
    title: 'The resource owner password credentials grant is offered',
    why: 'RFC 9700 §2.4: the grant hands the user\'s password to the client and cannot carry multi-factor authentication; it must not be used.',
    fix: 'Drop `password` from grant_types_supported; use the authorization code grant (or client credentials between services).',
  },
  noS256: {
    id: 'AS-OAUTH-006',
    severity: 'medium',
    cap: 'B',
    title: 'PKCE with S256 is not offered',
    why: 'RFC 9700 §2.1.1: clients should use PKCE with S256 against code injection; RFC 8414 §2 code_challenge_methods_supported says whether the provider supports it.',
    fix: 'Support PKCE (RFC 7636) and list `S256` in code_challenge_methods_supported.',
  },
  plainPkce: {
    id: 'AS-OAUTH-007',
    severity: 'medium',
    cap: 'B',
    title: 'PKCE `plain` is offered',
    why: 'RFC 9700 §2.1.1: `plain` sends the verifier\'s value in the authorization request, where it can be read; only S256 protects the code.',
    fix: 'Remove `plain` from code_challenge_methods_supported.',
  },
  noStrongClientAuth: {
    id: 'AS-OAUTH-008',
    severity: 'low',
    title: 'No asymmetric client authentication at the token endpoint',
    why: 'RFC 9700 §2.5: private_key_jwt (RFC 7523) or mutual TLS (RFC 8705) keep no shared secret at the provider and bind tokens; a shared client secret can leak from either side.',
    fix: 'Offer private_key_jwt or tls_client_auth / self_signed_tls_client_auth in token_endpoint_auth_methods_supported.',
  },
  clientSecretPost: {
    id: 'AS-OAUTH-009',
    severity: 'info',
    title: 'client_secret_post is offered',
    why: 'The client secret travels in the request body, where logs and proxies see it more often than a header; noted, not a fault (RFC 6749 §2.3.1 allows it).',
    fix: 'Prefer private_key_jwt or tls_client_auth; configure the gateway\'s credential with one of them where the provider allows it.',
  },
  jwksUnusable: {
    id: 'AS-OAUTH-010',
    severity: 'high',
    title: 'The JWK Set cannot be read',
    why: 'Without the provider\'s signing keys a client cannot verify its ID tokens or signed responses; OIDC Discovery §3 requires jwks_uri.',
    fix: 'Serve a JWK Set (RFC 7517 §5) at jwks_uri over https.',
  },
  symmetricKey: {
    id: 'AS-OAUTH-011',
    severity: 'critical',
    cap: 'F',
    title: 'The JWK Set publishes a symmetric key',
    why: 'A `kty: oct` key in a public JWK Set is a secret given to everyone: anyone can sign tokens the provider\'s clients accept (RFC 7517 §6.4).',
    fix: 'Remove symmetric keys from the JWK Set and rotate every secret it ever held.',
  },
  weakRsaKey: {
    id: 'AS-OAUTH-012',
    severity: 'high',
    cap: 'C',
    title: 'An RSA key shorter than 2048 bits',
    why: 'RFC 7518 §3.3 requires 2048 bits or more for RSA signatures; shorter keys are within reach of factoring.',
    fix: 'Replace the key with an RSA key of 2048 bits or more (or EC P-256), then remove the old one after its tokens expire.',
  },
  weakCurve: {
    id: 'AS-OAUTH-013',
    severity: 'medium',
    title: 'A key on a curve other than P-256, P-384, P-521, Ed25519 or Ed448',
    why: 'RFC 7518 §6.2.1.1 and RFC 8037 define these curves for JOSE; a key on another curve is either weaker or not usable by standard clients.',
    fix: 'Sign with an EC key on P-256 or stronger, or Ed25519.',
  },
  noIssParameter: {
    id: 'AS-OAUTH-014',
    severity: 'low',
    title: 'The `iss` authorization response parameter is not advertised',
    why: 'RFC 9207: with `iss` in every authorization response a client detects mix-up attacks; authorization_response_iss_parameter_supported says the provider sends it.',
    fix: 'Send `iss` in authorization responses and set authorization_response_iss_parameter_supported: true.',
  },
} as const satisfies Record<string, AssessRule>;
