/**
 * `portcullis credentials authorize NAME`: obtains a refresh token once, by the authorization-code
 * flow with PKCE (RFC 6749 §4.1, RFC 7636) run from the operator's machine, for a `refresh_token`
 * credential. The CLI makes the verifier and the state, prints the authorization URL, and listens
 * on the credential's loopback redirect URI (RFC 8252 §7.3); the provider's redirect brings the
 * code back, and the gateway (not the CLI) exchanges it, authenticating as the client with the
 * secret it holds: the client secret never reaches the operator's machine, and the tokens go
 * straight into the store, sealed. Only the verifier passes through the CLI, and it is useless
 * without the client's credentials.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as oauth from 'oauth4webapi';
import { adminCall, CliError, type AdminOptions } from './admin-client.js';

interface CredentialView {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly settings: { authorizationUrl?: string; redirectUri?: string; clientId?: string; scope?: string; resource?: string };
  readonly tokenExpiresAt: string | null;
}

export interface AuthorizeOptions extends AdminOptions {
  /** Seconds to wait for the provider's redirect. */
  timeout: number;
}

/** The authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3). */
export function authorizationUrl(settings: CredentialView['settings'], state: string, codeChallenge: string): URL {
  const url = new URL(settings.authorizationUrl!);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId!);
  url.searchParams.set('redirect_uri', settings.redirectUri!);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (settings.scope) url.searchParams.set('scope', settings.scope);
  if (settings.resource) url.searchParams.set('resource', settings.resource);
  // OIDC Core §11: offline_access is only granted with an explicit consent prompt.
  if (settings.scope?.split(' ').includes('offline_access')) url.searchParams.set('prompt', 'consent');
  return url;
}

export async function authorize(idOrName: string, options: AuthorizeOptions): Promise<CredentialView> {
  const credential = (await adminCall(options, 'GET', `/v1/credentials/${encodeURIComponent(idOrName)}`)) as CredentialView;
  const { settings } = credential;
  if (credential.kind !== 'refresh_token') throw new CliError(`${credential.name} is a ${credential.kind} credential: only a refresh_token credential is authorized by an operator`);
  if (!settings.authorizationUrl || !settings.redirectUri) throw new CliError(`${credential.name} needs settings.authorizationUrl and settings.redirectUri (a loopback URI registered with the provider)`);
  const redirect = new URL(settings.redirectUri);
  if (redirect.port === '') throw new CliError(`the redirect URI ${settings.redirectUri} names no port: the CLI listens on it`);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = authorizationUrl(settings, state, await oauth.calculatePKCECodeChallenge(codeVerifier));

  let resolve!: (view: CredentialView) => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<CredentialView>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  let handled = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const callback = new URL(req.url ?? '/', `${redirect.protocol}//${redirect.host}`);
    if (callback.pathname !== redirect.pathname || handled) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // Only the redirect that carries our state is the answer; anything else on the port is ignored.
    if (callback.searchParams.get('state') !== state) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('state does not match this authorization request\n');
      return;
    }
    handled = true;
    const error = callback.searchParams.get('error');
    if (error !== null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`the provider refused: ${error}\n`);
      reject(new CliError(`the provider refused the authorization: ${error}${callback.searchParams.has('error_description') ? ` (${callback.searchParams.get('error_description')})` : ''}`));
      return;
    }
    adminCall(options, 'POST', `/v1/credentials/${encodeURIComponent(credential.id)}/authorization-code`, { callbackUrl: callback.href, state, codeVerifier }).then(
      (stored) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('Portcullis has the refresh token. You can close this window.\n');
        resolve(stored as CredentialView);
      },
      (failure: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('the gateway could not exchange the code: see the terminal\n');
        reject(failure);
      },
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => fail(new CliError(`cannot listen on ${redirect.host} for the redirect: ${error.code ?? error.message}`)));
    server.listen(Number(redirect.port), redirect.hostname.replace(/^\[|\]$/g, ''), ok);
  });
  const timer = setTimeout(() => reject(new CliError(`no redirect came back within ${options.timeout} s`)), options.timeout * 1000);
  process.stdout.write(`Open this URL in a browser and sign in to the provider as the account the gateway acts for:\n\n  ${url.href}\n\nWaiting for the redirect on ${settings.redirectUri} …\n`);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}
