/**
 * The OAuth 2.0 / OpenID Connect check of `portcullis assess` (issue 23 §3): finds the provider's
 * metadata (OIDC Discovery 1.0 §4 `/.well-known/openid-configuration`, then RFC 8414 §3
 * `/.well-known/oauth-authorization-server`) with oauth4webapi, and judges it: issuer identical to
 * the one asked for, every endpoint https, no implicit or password grant, PKCE S256 and not
 * `plain`, asymmetric client authentication, RFC 9207 `iss`, and the JWK Set's keys (jwks-keys.ts).
 *
 * The issuer is `--oauth-issuer`, else the API's origin; when the origin publishes no metadata
 * the rules are reported "not tested" (an API need not be its own authorization server).
 */
import * as oauth from 'oauth4webapi';
import type { AssessCheck, AssessFinding, AssessTarget } from '../finding.js';
import { found, notTested } from './found.js';
import { cliAssessHttp, describeFailure, httpCheck, type AssessHttp, type AssessHttpFactory } from './http-probe.js';
import { assessJwks } from './jwks-keys.js';
import { OAUTH_RULES as RULES } from './oauth-rules.js';

/** Client authentication methods that keep no shared secret (RFC 7523 §2.2, RFC 8705 §2). */
const ASYMMETRIC_CLIENT_AUTH = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];

export const OAUTH_CHECK_NAME = 'oauth-metadata';

/** The check, reaching the provider through `http` (the CLI's by default, the gateway's in continuous mode). */
export function oauthMetadataCheck(http: AssessHttpFactory = cliAssessHttp): AssessCheck {
  return httpCheck(OAUTH_CHECK_NAME, Object.values(RULES), http, assessOauth);
}

interface Discovered {
  readonly metadata: oauth.AuthorizationServer;
  readonly url: string;
  readonly oidc: boolean;
  readonly findings: AssessFinding[];
}

async function assessOauth(target: AssessTarget, http: AssessHttp): Promise<AssessFinding[]> {
  const issuer = target.oauthIssuer ?? new URL(target.url.origin);
  const discovered = await discover(issuer, http);
  if (typeof discovered === 'string') {
    return target.oauthIssuer
      ? [found(RULES.noMetadata, `no usable metadata for issuer ${issuer.href}: ${discovered}`, issuer.href)]
      : Object.values(RULES).map((rule) => notTested(rule, `${issuer.href} publishes no authorization server metadata (${discovered}); name the provider's issuer with --oauth-issuer`, issuer.href));
  }
  const { metadata, url, oidc } = discovered;
  const findings = [...discovered.findings, ...endpointFindings(issuer, metadata, url), ...grantFindings(metadata, url), ...clientAuthFindings(metadata, url)];
  if (metadata.jwks_uri) findings.push(...(await assessJwks(http, metadata.jwks_uri)));
  else if (oidc) findings.push(found(RULES.jwksUnusable, 'the OpenID Provider metadata names no jwks_uri (OIDC Discovery §3 requires it)', url));
  return findings;
}

/** The metadata at `issuer` (OIDC first, then RFC 8414), or why none was found. */
async function discover(issuer: URL, http: AssessHttp): Promise<Discovered | string> {
  const failures: string[] = [];
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    let url = issuer.href;
    try {
      const response = await oauth.discoveryRequest(issuer, { ...http.oauthOptions(issuer.protocol === 'http:'), algorithm });
      url = response.url || url;
      if (response.status === 404) {
        await response.body?.cancel();
        failures.push(`${url}: HTTP 404`);
        continue;
      }
      return { metadata: await oauth.processDiscoveryResponse(issuer, response), url, oidc: algorithm === 'oidc', findings: [] };
    } catch (error) {
      // RFC 8414 §3.3: a document for another issuer is a finding, and still the provider's metadata.
      if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        const metadata = (error.cause as { body: oauth.AuthorizationServer }).body;
        const mismatch = found(RULES.issuerMismatch, `the metadata's issuer is ${metadata.issuer}, fetched for issuer ${issuer.href}`, url);
        return { metadata, url, oidc: algorithm === 'oidc', findings: [mismatch] };
      }
      failures.push(`${url}: ${describeFailure(error)}`);
    }
  }
  return failures.join('; ');
}

/** Every endpoint, the jwks_uri and the mTLS aliases (RFC 8705 §5) must be https (RFC 8414 §2). */
function endpointFindings(issuer: URL, metadata: oauth.AuthorizationServer, where: string): AssessFinding[] {
  const urls: Array<[string, unknown]> = [['issuer', issuer.href], ...Object.entries(metadata).filter(([name]) => name.endsWith('_endpoint') || name === 'jwks_uri')];
  const aliases = metadata.mtls_endpoint_aliases;
  if (aliases && typeof aliases === 'object') urls.push(...Object.entries(aliases).map(([name, value]): [string, unknown] => [`mtls_endpoint_aliases.${name}`, value]));
  return urls
    .filter(([, value]) => typeof value === 'string' && !String(value).startsWith('https://'))
    .map(([name, value]) => found(RULES.endpointNotHttps, `${name} is ${String(value)}`, where));
}

function grantFindings(metadata: oauth.AuthorizationServer, where: string): AssessFinding[] {
  const findings: AssessFinding[] = [];
  // RFC 8414 §2 and OIDC Discovery §3: an absent grant_types_supported means authorization_code and implicit.
  const declared = metadata.grant_types_supported;
  const grants = declared ?? ['authorization_code', 'implicit'];
  const tokenResponseTypes = (metadata.response_types_supported ?? []).filter((type) => type.split(' ').includes('token'));
  if (grants.includes('implicit') || tokenResponseTypes.length > 0) {
    const how = grants.includes('implicit') ? (declared ? 'grant_types_supported lists implicit' : 'grant_types_supported is absent, which means authorization_code and implicit (RFC 8414 §2)') : `response_types_supported lists ${tokenResponseTypes.join(', ')}`;
    findings.push(found(RULES.implicitGrant, how, where));
  }
  if (grants.includes('password')) findings.push(found(RULES.passwordGrant, 'grant_types_supported lists password', where));
  if (metadata.authorization_endpoint) {
    const methods = metadata.code_challenge_methods_supported ?? [];
    if (!methods.includes('S256')) findings.push(found(RULES.noS256, methods.length === 0 ? 'code_challenge_methods_supported is absent: no PKCE advertised' : `code_challenge_methods_supported is ${methods.join(', ')}`, where));
    if (methods.includes('plain')) findings.push(found(RULES.plainPkce, 'code_challenge_methods_supported lists plain', where));
    if (metadata.authorization_response_iss_parameter_supported !== true) findings.push(found(RULES.noIssParameter, 'authorization_response_iss_parameter_supported is not true', where));
  }
  return findings;
}

function clientAuthFindings(metadata: oauth.AuthorizationServer, where: string): AssessFinding[] {
  if (!metadata.token_endpoint) return [];
  // RFC 8414 §2: absent means client_secret_basic.
  const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const findings: AssessFinding[] = [];
  if (!methods.some((method) => ASYMMETRIC_CLIENT_AUTH.includes(method))) findings.push(found(RULES.noStrongClientAuth, `token_endpoint_auth_methods_supported is ${methods.join(', ')}`, where));
  if (methods.includes('client_secret_post')) findings.push(found(RULES.clientSecretPost, 'token_endpoint_auth_methods_supported lists client_secret_post', where));
  return findings;
}
