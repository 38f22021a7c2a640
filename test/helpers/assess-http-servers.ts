/**
 * Local HTTPS servers with known properties for `portcullis assess`'s authentication and API
 * hygiene checks (issue 23 §3): one answering as a careful API does (401 with WWW-Authenticate,
 * RFC 9457 problems, rate-limit and security headers, a current security.txt), one as a careless
 * one, and an authorization server whose metadata and JWK Set hold every weakness the OAuth rules
 * name. Each serves with the test PKI's server certificate (its CA bundle is the `--ca-file`).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestPki } from './certs.js';

type Handler = (req: IncomingMessage, res: ServerResponse, origin: string) => void;

export interface AssessServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1:0 with the test PKI's certificate, answering with `handler`. */
export async function startHttpsServer(pki: TestPki, handler: Handler): Promise<AssessServer> {
  const server: Server = createServer({ key: readFileSync(pki.serverKey), cert: pki.serverCertPem });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handler(req, res, origin));
  return {
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const GOOD_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ratelimit: 'limit=100, remaining=99, reset=60', 'ratelimit-policy': '100;w=60', server: 'api' };

/** A careful API: every answer a problem or security.txt, with the headers the rules want. */
export const goodApi: Handler = (req, res) => {
  if (req.url === '/.well-known/security.txt') {
    res.writeHead(200, { ...GOOD_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end('# Report issues here\nContact: mailto:security@example.test\nExpires: 2099-01-01T00:00:00.000Z\nPreferred-Languages: en\n');
    return;
  }
  const problem = req.url?.startsWith('/v1/') && req.url !== '/v1/' ? { status: 404, title: 'Not Found' } : { status: 401, title: 'Unauthorized' };
  res.writeHead(problem.status, { ...GOOD_HEADERS, 'content-type': 'application/problem+json', ...(problem.status === 401 ? { 'www-authenticate': 'Bearer realm="api"' } : {}) });
  res.end(JSON.stringify({ type: 'about:blank', ...problem }));
};

/** What the careless API gets wrong besides its headers. */
export interface BadApiOptions {
  /** 'data': 200 with a body without credentials; 'bare401': 401 without WWW-Authenticate. */
  readonly unauthenticated: 'data' | 'bare401';
  /** 'missing': 404; 'expired': served, past its Expires and without Contact. */
  readonly securityTxt: 'missing' | 'expired';
}

/** A careless API: HTML errors with a versioned Server header, no rate-limit or security headers. */
export function badApi(options: BadApiOptions): Handler {
  return (req, res) => {
    const leak = { server: 'Apache/2.4.41 (Ubuntu)', 'x-powered-by': 'PHP/7.4.3' };
    if (req.url === '/.well-known/security.txt' && options.securityTxt === 'expired') {
      res.writeHead(200, { ...leak, 'content-type': 'text/plain' });
      res.end('Expires: 2025-12-01T00:00:00.000Z\nEncryption: https://example.test/pgp.txt\n');
      return;
    }
    if (req.url === '/v1/' && options.unauthenticated === 'data') {
      res.writeHead(200, { ...leak, 'content-type': 'application/json' });
      res.end(JSON.stringify({ accounts: [{ iban: 'DE00 0000 0000 0000 0000 00', balance: 1200 }] }));
      return;
    }
    if (req.url === '/v1/') {
      res.writeHead(401, { ...leak, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    res.writeHead(404, { ...leak, 'content-type': 'text/html' });
    res.end('<html><body><h1>Not Found</h1></body></html>');
  };
}

/** A JWK Set with a symmetric key, an RSA key of 1024 bits and a sound EC P-256 key. */
export function weakJwks(): { keys: Array<Record<string, unknown>> } {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return {
    keys: [
      { kty: 'oct', kid: 'hmac', alg: 'HS256', k: 'c2hhcmVkLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm' },
      { ...rsa, kid: 'rsa-1024', alg: 'RS256', use: 'sig' },
      { ...ec, kid: 'ec-p256', alg: 'ES256', use: 'sig' },
    ],
  };
}

/**
 * An authorization server whose metadata names another issuer, an http authorization endpoint,
 * the implicit and password grants, PKCE `plain` only, client secrets only (one in the body), no
 * RFC 9207 `iss`, and whose JWKS is weakJwks().
 */
export function badAuthorizationServer(jwks: unknown = weakJwks()): Handler {
  return (req, res, origin) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: 'https://login.other-provider.example',
          authorization_endpoint: `http://127.0.0.1:${new URL(origin).port}/authorize`,
          token_endpoint: `${origin}/token`,
          jwks_uri: `${origin}/jwks`,
          response_types_supported: ['code', 'token', 'id_token'],
          grant_types_supported: ['authorization_code', 'implicit', 'password', 'refresh_token'],
          code_challenge_methods_supported: ['plain'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256', 'HS256'],
        }),
      );
      return;
    }
    if (req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify(jwks));
      return;
    }
    res.writeHead(404).end();
  };
}
