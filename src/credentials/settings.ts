/**
 * What an upstream credential of each kind is made of (the `settings` of its store row), checked
 * when it is created: endpoints, client id, client authentication, and secrets by reference only
 * (`${env:NAME}`, `${secret:NAME}`), never a value.
 *
 * - static: a bearer token, basic user/password or a header value the gateway sends as is.
 * - client_credentials: RFC 6749 §4.4, the client authenticating with client_secret_basic or
 *   client_secret_post (§2.3.1), private_key_jwt (RFC 7523 §2.2, OIDC Core §9) or tls_client_auth
 *   (RFC 8705 §2: the client certificate on the token call).
 * - refresh_token: RFC 6749 §6, tokens got once by an operator (`credentials authorize`, an
 *   authorization-code flow with PKCE, RFC 7636; or `credentials set-refresh-token`), then kept
 *   refreshed, rotating the refresh token when the provider issues a new one (OAuth 2.0 Security
 *   BCP, RFC 9700 §4.14.2).
 */
import { Type, type Static } from '@sinclair/typebox';

/** `${env:NAME}` or `${secret:NAME}` (the vault). */
export const SECRET_REFERENCE = '^\\$\\{(env|secret):[A-Za-z_][A-Za-z0-9_.-]*\\}$';
const Ref = (description: string) => Type.String({ pattern: SECRET_REFERENCE, description: `${description} By reference: \${env:NAME} or \${secret:NAME}.` });
const HeaderName = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'Header the credential is sent in (default: Authorization).' });
const HttpsUrl = (description: string) => Type.String({ pattern: '^https?://[^\\s]+$', description: `${description} https: (http: only for a loopback address).` });

export const StaticSettings = Type.Object(
  {
    scheme: Type.Union([Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('header')], { description: 'bearer | basic | header' }),
    secret: Ref('The token, password or header value.'),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'basic: the user name.' })),
    header: Type.Optional(HeaderName),
  },
  { additionalProperties: false },
);

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'] as const;

const OAuthProperties = {
  tokenUrl: HttpsUrl('Token endpoint (RFC 6749 §3.2).'),
  issuer: Type.Optional(Type.String({ minLength: 1, description: 'Issuer identifier: the audience of a private_key_jwt assertion (default: the token endpoint\'s origin).' })),
  clientId: Type.String({ minLength: 1, maxLength: 512 }),
  clientAuth: Type.Union(CLIENT_AUTH_METHODS.map((method) => Type.Literal(method)), { description: 'How the client authenticates at the token endpoint.' }),
  clientSecret: Type.Optional(Ref('client_secret_basic / client_secret_post: the client secret.')),
  privateKey: Type.Optional(Ref('private_key_jwt: the private key (PKCS#8 PEM).')),
  privateKeyAlg: Type.Optional(Type.Union(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'].map((alg) => Type.Literal(alg)), { description: 'private_key_jwt: the assertion\'s algorithm (default RS256).' })),
  keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'private_key_jwt: the kid of the key.' })),
  tlsCert: Type.Optional(Ref('tls_client_auth, or any method with mTLS-bound tokens (RFC 8705): the client certificate (PEM).')),
  tlsKey: Type.Optional(Ref('The client certificate\'s private key (PEM).')),
  scope: Type.Optional(Type.String({ maxLength: 2048, description: 'Space-separated scopes requested.' })),
  audience: Type.Optional(Type.String({ maxLength: 2048, description: 'An `audience` parameter, for providers that want one.' })),
  resource: Type.Optional(Type.String({ maxLength: 2048, description: 'Resource indicator (RFC 8707).' })),
  header: Type.Optional(HeaderName),
};

export const ClientCredentialsSettings = Type.Object(OAuthProperties, { additionalProperties: false });

export const RefreshTokenSettings = Type.Object(
  {
    ...OAuthProperties,
    authorizationUrl: Type.Optional(HttpsUrl('Authorization endpoint, for `credentials authorize` (RFC 6749 §3.1).')),
    redirectUri: Type.Optional(Type.String({ pattern: '^http://(127\\.0\\.0\\.1|\\[::1\\]|localhost)(:[0-9]{1,5})?/[^\\s]*$', description: 'Loopback redirect URI registered with the provider, for `credentials authorize` (RFC 8252 §7.3).' })),
  },
  { additionalProperties: false },
);

export type StaticCredentialSettings = Static<typeof StaticSettings>;
export type ClientCredentialSettings = Static<typeof ClientCredentialsSettings>;
export type RefreshCredentialSettings = Static<typeof RefreshTokenSettings>;
export type OAuthCredentialSettings = ClientCredentialSettings & Partial<Pick<RefreshCredentialSettings, 'authorizationUrl' | 'redirectUri'>>;

export const SETTINGS_BY_KIND = { static: StaticSettings, client_credentials: ClientCredentialsSettings, refresh_token: RefreshTokenSettings } as const;

/** Checks the schema cannot express: the secrets each choice needs. Returns problems (empty: fine). */
export function settingsIssues(kind: keyof typeof SETTINGS_BY_KIND, settings: Record<string, unknown>): string[] {
  const issues: string[] = [];
  if (kind === 'static') {
    if (settings.scheme === 'basic' && settings.username === undefined) issues.push('scheme basic needs username');
    if (settings.scheme === 'header' && settings.header === undefined) issues.push('scheme header needs header');
    return issues;
  }
  const auth = settings.clientAuth;
  if ((auth === 'client_secret_basic' || auth === 'client_secret_post') && settings.clientSecret === undefined) issues.push(`${String(auth)} needs clientSecret`);
  if (auth === 'private_key_jwt' && settings.privateKey === undefined) issues.push('private_key_jwt needs privateKey');
  if (auth === 'tls_client_auth' && (settings.tlsCert === undefined || settings.tlsKey === undefined)) issues.push('tls_client_auth needs tlsCert and tlsKey');
  if ((settings.tlsCert === undefined) !== (settings.tlsKey === undefined)) issues.push('tlsCert and tlsKey go together');
  for (const field of ['tokenUrl', 'authorizationUrl'] as const) {
    const url = settings[field];
    if (typeof url === 'string' && !secureUrl(url)) issues.push(`${field} must be https: (http: only for a loopback address)`);
  }
  return issues;
}

/** https:, or http: to a loopback address (a sidecar on the same host, tests): secrets never cross a network in the clear. */
export function secureUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(parsed.hostname);
}
