/**
 * Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3):
 * `client_secret_basic` (§2.3.1: HTTP Basic with form-encoded id and secret),
 * `client_secret_post` (id and secret in the body), and `private_key_jwt` (RFC 7523 §2.2, OIDC
 * Core §9: a JWT signed with one of the client's registered keys, for the token endpoint's
 * audience, used once). Exactly one method per request. Everything is checked against the
 * in-memory state; only the assertion replay check writes to the store (so a replay is refused on
 * every node).
 */
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { OAuthState, StateClient } from './oauth-state.js';
import { hashClientSecret } from './client-service.js';
import { OAuthError } from './errors.js';
import { jwsJsonProblem } from '../jwt/strict-json.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Leeway for a client assertion's exp and nbf (clock differences between partner and gateway). */
const ASSERTION_CLOCK_TOLERANCE_SECONDS = 30;

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface ClientAuthDeps {
  readonly state: OAuthState;
  readonly pepper: string;
  /** Identifiers the assertion's `aud` may name: the issuer and the token endpoint URL. */
  readonly assertionAudiences: readonly string[];
  readonly assertionMaxAgeSeconds: number;
  /** Records an assertion's jti; false if it was seen before. */
  useAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

/** Authenticates the client or throws an OAuthError (invalid_client, 401; invalid_request, 400). */
export async function authenticateClient(authorization: string | undefined, params: URLSearchParams, now: number, deps: ClientAuthDeps): Promise<{ client: StateClient; method: ClientAuthMethod }> {
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  const post = params.has('client_secret');
  const assertion = params.has('client_assertion') || params.has('client_assertion_type');
  const used = [basic, post, assertion].filter(Boolean).length;
  // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
  if (used > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
  if (used === 0) throw new OAuthError('invalid_client', 'Client authentication is required.', { basicChallenge: true });
  if (basic) {
    const { id, secret } = parseBasic(authorization!);
    if (params.has('client_id') && params.get('client_id') !== id) throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.');
    return { client: checkSecret(id, secret, now, deps, true), method: 'client_secret_basic' };
  }
  if (post) {
    const id = params.get('client_id');
    if (!id) throw new OAuthError('invalid_request', 'client_secret_post needs client_id.');
    return { client: checkSecret(id, params.get('client_secret') ?? '', now, deps, false), method: 'client_secret_post' };
  }
  return { client: await checkAssertion(params, now, deps), method: 'private_key_jwt' };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with a colon. */
function parseBasic(authorization: string): { id: string; secret: string } {
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new OAuthError('invalid_client', 'Malformed Basic credentials.', { basicChallenge: true });
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials.', { basicChallenge: true });
  }
}

function checkSecret(id: string, secret: string, now: number, deps: ClientAuthDeps, basic: boolean): StateClient {
  // The hash is computed for unknown clients too, so timing does not tell which ids exist.
  const presented = Buffer.from(hashClientSecret(secret, deps.pepper), 'hex');
  const client = deps.state.client(id);
  if (!client || !deps.state.secretMatches(client, presented, now)) throw new OAuthError('invalid_client', 'Client authentication failed.', { basicChallenge: basic });
  return usable(client, deps, basic);
}

function usable(client: StateClient, deps: ClientAuthDeps, basic: boolean): StateClient {
  if (!client.active) throw new OAuthError('invalid_client', 'The client has been revoked.', { basicChallenge: basic });
  if (!deps.state.consumerActive(client.consumerId)) throw new OAuthError('invalid_client', 'The consumer of this client is disabled.', { basicChallenge: basic });
  return client;
}

async function checkAssertion(params: URLSearchParams, now: number, deps: ClientAuthDeps): Promise<StateClient> {
  if (params.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`);
  const assertion = params.get('client_assertion') ?? '';
  if (assertion.length > 8192) throw new OAuthError('invalid_client', 'The client assertion is too large.');
  // RFC 7515 §4, RFC 7519 §4: a repeated name (two `sub`s, say) could name one client to us and
  // another to whoever checked the assertion before.
  if (jwsJsonProblem(assertion) !== undefined) throw new OAuthError('invalid_client', 'The client assertion is not a JWT with strict JSON header and claims.');
  let claimed: JWTPayload;
  try {
    // Only to find whose keys to verify with; nothing is trusted before the signature.
    claimed = decodeJwt(assertion);
  } catch {
    throw new OAuthError('invalid_client', 'The client assertion is not a JWT.');
  }
  const id = typeof claimed.sub === 'string' ? claimed.sub : '';
  if (params.has('client_id') && params.get('client_id') !== id) throw new OAuthError('invalid_request', 'client_id does not match the assertion.');
  const client = deps.state.client(id);
  if (!client?.jwks) throw new OAuthError('invalid_client', 'Client authentication failed.');
  let payload: JWTPayload;
  try {
    // RFC 7523 §3: iss and sub are the client id, aud names this server, exp is required.
    ({ payload } = await jwtVerify(assertion, client.jwks, {
      algorithms: ASSERTION_ALGORITHMS,
      issuer: client.id,
      subject: client.id,
      audience: [...deps.assertionAudiences],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(now),
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
    }));
  } catch {
    throw new OAuthError('invalid_client', 'The client assertion is not valid.');
  }
  const expiresAt = payload.exp! * 1000;
  // A long-lived assertion is a bearer credential in all but name: bound its life.
  if (expiresAt - now > deps.assertionMaxAgeSeconds * 1000) throw new OAuthError('invalid_client', `The client assertion must expire within ${deps.assertionMaxAgeSeconds} seconds.`);
  usable(client, deps, false);
  // RFC 7523 §3 item 7: the jti may be used only once. It is remembered as long as the assertion
  // could still be accepted, tolerance included: forgotten at exp, it could be replayed after it.
  if (!(await deps.useAssertion(client.id, String(payload.jti), expiresAt + ASSERTION_CLOCK_TOLERANCE_SECONDS * 1000))) throw new OAuthError('invalid_client', 'The client assertion was used before.');
  return client;
}
