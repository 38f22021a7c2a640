/**
 * The session cookie (RFC 6265bis): `__Host-` prefixed, so browsers accept it only with `Secure`,
 * `Path=/` and no `Domain` (§4.1.3.2: it cannot be set by a sibling subdomain or read beyond this
 * host); `HttpOnly` keeps it from page scripts; `SameSite=Strict` keeps browsers from sending it
 * on cross-site requests at all. Browsers treat http://localhost and 127.0.0.1 as secure contexts,
 * so the `Secure` cookie works on a loopback admin listener without TLS.
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/errors.js';

export const SESSION_COOKIE = '__Host-portcullis-session';

export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

/** Tells the browser to drop the cookie (logout, a session found dead). */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** The session cookie's value, or undefined; two of them is a malformed request, not a choice. */
export function readSessionCookie(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const values = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${SESSION_COOKIE}=`))
    .map((pair) => pair.slice(SESSION_COOKIE.length + 1));
  if (values.length > 1) throw new GatewayError('request.malformed', { detail: `The request carries the ${SESSION_COOKIE} cookie more than once.` });
  return values[0] === '' ? undefined : values[0];
}
