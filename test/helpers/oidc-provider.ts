/**
 * A real OAuth 2.0 / OpenID Connect provider as the third party (oidc-provider 8, the 9.x line
 * wants Node 22), started on port 0: clients for client credentials with client_secret_basic,
 * client_secret_post and private_key_jwt, and one for refresh tokens with rotation. It counts the
 * token requests that reach it and the grant errors it answered, and can tell whether an access
 * token it issued is still valid (the test upstream asks it, as a resource server would).
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import Provider, { type ClientAuthMethod } from 'oidc-provider';

export const CLIENT_SECRET = 'provider-client-secret-0123456789abcdef';
/** The client admin single sign-on uses (startProvider's `sso` option registers it). */
export const SSO_CLIENT_ID = 'portcullis-admin';

/** A person at the provider: their claims, for the `email`, `profile` and `groups` scopes. */
export interface ProviderAccount {
  readonly email: string;
  readonly groups: readonly string[];
  readonly preferred_username?: string;
  readonly email_verified?: boolean;
}

/** Who the next login interaction signs in, and how (amr, RFC 8176; acr). */
export interface NextLogin {
  accountId: string;
  amr?: string[];
  acr?: string;
}
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface TokenRequest {
  readonly grantType: string;
  readonly clientId: string;
  readonly refreshToken?: string | undefined;
}

export interface TestProvider {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly provider: Provider;
  /** PKCS#8 PEM of cc-jwt's private key (its public JWK is registered with the provider). */
  readonly privateKeyPem: string;
  /** Every token request that reached the provider, in order. */
  readonly tokenRequests: TokenRequest[];
  /** The grant errors the provider answered (error and description). */
  readonly grantErrors: string[];
  /** Whether `token` is an access token this provider issued and has not revoked or let expire. */
  accessTokenValid(token: string): Promise<boolean>;
  /** Revokes an access token (the upstream then refuses it). */
  revokeAccessToken(token: string): Promise<void>;
  /** A refresh token for rt-client, as an operator would have got it once (authorization code). */
  mintRefreshToken(): Promise<string>;
  /** Whether an access token this provider issued is bound to a client certificate (RFC 8705 §3: cnf x5t#S256). */
  accessTokenBound(token: string): Promise<boolean>;
  /** Admin SSO: set before a sign-in; the provider's login interaction signs this account in, without a form. */
  nextLogin: NextLogin | undefined;
  /**
   * true: the JWKS the provider publishes holds other keys under the same kids (an attacker's
   * keys, a broken rotation): the ID tokens it signs then do not verify against it.
   */
  forgeJwks: boolean;
  /** Stops answering (connections refused): the provider is down. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderOptions {
  /** More redirect URIs for rt-client (the CLI's loopback redirect for `credentials authorize`). */
  readonly redirectUris?: readonly string[];
  /**
   * Serve HTTPS with this certificate and ask for client certificates: RFC 8705 tls_client_auth
   * (oidc-provider features.mTLS) for client `cc-mtls`, whose certificate must chain to `ca` and
   * carry the subject `mtlsSubject` (one RDN, e.g. CN=portcullis-gateway); tokens bound to it (§3).
   */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca: string; readonly mtlsSubject: string };
  /**
   * Registers the admin SSO client (SSO_CLIENT_ID, CLIENT_SECRET, `redirectUri`) and the
   * accounts it may sign in; the provider's login and consent interactions are then answered by
   * this helper (as a provider's login page would, for `nextLogin`), so a test follows the real
   * redirects by hand with nothing but HTTP.
   */
  readonly sso?: { redirectUri: string; accounts: Record<string, ProviderAccount> };
  /**
   * What the metadata advertises, for `portcullis assess` (issue 23): the response types (default
   * oidc-provider's, which include the implicit `id_token`) and the token endpoint's client
   * authentication methods (default: every method the clients above use).
   */
  readonly metadata?: { readonly responseTypes?: readonly string[]; readonly clientAuthMethods?: readonly ClientAuthMethod[] };
}

export async function startProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig', kid: 'cc-jwt-key' };
  const privateKeyPem = await exportPKCS8(privateKey);
  const tls = options.tls;
  const server: Server = tls ? (createTlsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }) as unknown as Server) : createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientCredentials = (clientId: string, method: ClientAuthMethod, extra: Record<string, unknown> = {}) => ({
    client_id: clientId,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: method,
    ...extra,
  });
  const provider = new Provider(issuer, {
    clients: [
      clientCredentials('cc-basic', 'client_secret_basic', { client_secret: CLIENT_SECRET }),
      clientCredentials('cc-post', 'client_secret_post', { client_secret: CLIENT_SECRET }),
      clientCredentials('cc-jwt', 'private_key_jwt', { jwks: { keys: [publicJwk] }, token_endpoint_auth_signing_alg: 'RS256' }),
      {
        client_id: 'rt-client',
        client_secret: CLIENT_SECRET,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI, ...(options.redirectUris ?? [])],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      ...(tls ? [clientCredentials('cc-mtls', 'tls_client_auth', { tls_client_auth_subject_dn: tls.mtlsSubject, tls_client_certificate_bound_access_tokens: true })] : []),
      ...(options.sso
        ? [{ client_id: SSO_CLIENT_ID, client_secret: CLIENT_SECRET, grant_types: ['authorization_code'], response_types: ['code' as const], redirect_uris: [options.sso.redirectUri], token_endpoint_auth_method: 'client_secret_basic' as const }]
        : []),
    ],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      ...(tls
        ? {
            mTLS: {
              enabled: true,
              tlsClientAuth: true,
              certificateBoundAccessTokens: true,
              getCertificate: (ctx: { socket: TLSSocket }) => {
                const peer = ctx.socket.getPeerCertificate();
                return peer?.raw ? new X509Certificate(peer.raw).toString() : undefined;
              },
              certificateAuthorized: (ctx: { socket: TLSSocket }) => ctx.socket.authorized,
              certificateSubjectMatches: (ctx: { socket: TLSSocket }, property: string, expected: string) =>
                property === 'tls_client_auth_subject_dn' && new X509Certificate(ctx.socket.getPeerCertificate().raw).subject.split('\n').includes(expected),
            },
          }
        : {}),
    } as never,
    ...(tls ? { clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'] } : {}),
    ...(options.metadata?.clientAuthMethods ? { clientAuthMethods: [...options.metadata.clientAuthMethods] } : {}),
    ...(options.metadata?.responseTypes ? { responseTypes: [...options.metadata.responseTypes] as never } : {}),
    ttl: { ClientCredentials: 3600, AccessToken: 3600, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 3600 },
    rotateRefreshToken: true,
    scopes: ['openid', 'offline_access', 'payroll.read', 'email', 'profile', 'groups'],
    // amr and acr with the openid scope, as most providers send them (oidc-provider would otherwise need the claims parameter).
    claims: { sid: null, openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['preferred_username'], groups: ['groups'] },
    // Claims of the granted scopes go into the ID token too (not only to userinfo).
    conformIdTokenClaims: false,
    acrValues: ['urn:test:pwd', 'urn:test:mfa'],
    cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
    findAccount: async (_ctx, id) => {
      const account = options.sso?.accounts[id];
      return { accountId: id, claims: async () => ({ sub: id, ...(account ? { email: account.email, email_verified: account.email_verified ?? true, groups: [...account.groups], ...(account.preferred_username ? { preferred_username: account.preferred_username } : {}) } : {}) }) };
    },
  });
  const tokenRequests: TokenRequest[] = [];
  const grantErrors: string[] = [];
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const params = (ctx as unknown as { oidc?: { params?: Record<string, string | undefined>; client?: { clientId: string } } }).oidc;
      tokenRequests.push({ grantType: params?.params?.grant_type ?? '', clientId: params?.client?.clientId ?? '', refreshToken: params?.params?.refresh_token });
    }
  });
  // The provider's interactions, answered at once as an operator who signs in and consents would:
  // login as `operator`, then a grant of every scope asked for (the test follows the redirects).
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result: Record<string, unknown>;
    if (details.prompt.name === 'login') result = { login: { accountId: 'operator' } };
    else {
      const grant = new provider.Grant({ accountId: 'operator', clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      result = { consent: { grantId: await grant.save() } };
    }
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true }));
  });
  provider.on('grant.error', (_ctx, error: { error?: string; error_description?: string }) => grantErrors.push(`${error.error}: ${error.error_description}`));
  // Quiet: expected refusals (invalid_client, a consumed refresh token) are part of the tests.
  provider.on('server_error', () => {});
  const callback = provider.callback();
  const state: { nextLogin: NextLogin | undefined; forgeJwks: boolean; forged?: string } = { nextLogin: undefined, forgeJwks: false };
  // The login and consent pages of a real provider, answered at once for state.nextLogin.
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      const login = state.nextLogin;
      if (!login) throw new Error('the test set no nextLogin');
      await provider.interactionFinished(req, res, { login: { accountId: login.accountId, ...(login.amr ? { amr: login.amr } : {}), ...(login.acr ? { acr: login.acr } : {}) } }, { mergeWithLastSubmission: false });
      return;
    }
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(details.params.scope));
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (state.forgeJwks && req.url === '/jwks' && state.forged) {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(state.forged);
      return;
    }
    // Without `sso` the provider's own interactions answer (the credentials tests drive them).
    if (!options.sso || !req.url?.startsWith('/interaction/')) return callback(req, res);
    interact(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  // The forged key set: each published key's kid, alg and use, with fresh key material.
  // Only the SSO tests forge (over plain HTTP; a TLS provider's certificate is not trusted by fetch).
  const published = options.sso ? ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<Record<string, string>> }) : { keys: [] };
  const forgedKeys = await Promise.all(
    published.keys.map(async (key) => {
      const alg = key.kty === 'RSA' ? 'RS256' : key.kty === 'EC' ? ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[key.crv!]! : 'EdDSA';
      const pair = await generateKeyPair(alg, { extractable: true, ...(key.kty === 'OKP' ? { crv: key.crv } : {}) });
      return { ...(await exportJWK(pair.publicKey)), kid: key.kid, ...(key.alg ? { alg: key.alg } : {}), ...(key.use ? { use: key.use } : {}) };
    }),
  );
  state.forged = JSON.stringify({ keys: forgedKeys });
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const find = async (token: string) => (await provider.ClientCredentials.find(token)) ?? (await provider.AccessToken.find(token));
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    provider,
    privateKeyPem,
    tokenRequests,
    grantErrors,
    async accessTokenValid(token) {
      const found = await find(token);
      return found !== undefined && !found.isExpired;
    },
    async revokeAccessToken(token) {
      await (await find(token))?.destroy();
    },
    async mintRefreshToken() {
      const client = await provider.Client.find('rt-client');
      const grant = new provider.Grant({ clientId: 'rt-client', accountId: 'operator' });
      grant.addOIDCScope('openid offline_access');
      const grantId = await grant.save();
      const refreshToken = new provider.RefreshToken({ client: client!, accountId: 'operator', grantId, scope: 'openid offline_access', gty: 'authorization_code' } as never);
      return refreshToken.save();
    },
    async accessTokenBound(token) {
      const found = (await find(token)) as unknown as Record<string, unknown> | undefined;
      return typeof found?.['x5t#S256'] === 'string';
    },
    get nextLogin() {
      return state.nextLogin;
    },
    set nextLogin(value) {
      state.nextLogin = value;
    },
    get forgeJwks() {
      return state.forgeJwks;
    },
    set forgeJwks(value) {
      state.forgeJwks = value;
    },
    stop,
    async close() {
      if (server.listening) await stop();
    },
  };
}
