/**
 * A real local identity provider for token tests: it serves an OIDC discovery document and a JWKS
 * over HTTP, counts every fetch, can rotate its signing key, and can go down (answer 503).
 * Tokens are signed with jose, as a real provider's would be.
 */
import { KeyObject, randomUUID, sign as cryptoSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TestIdp {
  readonly url: string;
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUrl: string;
  /** Fetches of the JWKS document so far. */
  readonly jwksFetches: number;
  readonly discoveryFetches: number;
  /** The key new tokens are signed with. */
  current: SigningKey;
  /** Keys published in the JWKS. */
  published: SigningKey[];
  down: boolean;
  /** Served instead of the generated documents when set (exact bytes: duplicate names, say). */
  rawDiscovery: string | undefined;
  rawJwks: string | undefined;
  /** A new current key, published beside the old ones (or instead of them). */
  rotate(options?: { dropOld?: boolean }): Promise<SigningKey>;
  sign(claims: JWTPayload, options?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function startIdp(): Promise<TestIdp> {
  let jwksFetches = 0;
  let discoveryFetches = 0;
  let server: Server;
  const first = await newSigningKey();
  const idp = {
    url: '',
    issuer: '',
    discoveryUrl: '',
    jwksUrl: '',
    get jwksFetches() {
      return jwksFetches;
    },
    get discoveryFetches() {
      return discoveryFetches;
    },
    current: first,
    published: [first],
    down: false,
    rawDiscovery: undefined as string | undefined,
    rawJwks: undefined as string | undefined,
    async rotate(options: { dropOld?: boolean } = {}) {
      const next = await newSigningKey();
      idp.published = options.dropOld ? [next] : [...idp.published, next];
      idp.current = next;
      return next;
    },
    async sign(claims: JWTPayload, options: { key?: SigningKey; header?: Record<string, unknown> } = {}) {
      const key = options.key ?? idp.current;
      return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header }).sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server = createServer((req, res) => {
    if (idp.down) {
      res.writeHead(503).end();
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      discoveryFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(idp.rawDiscovery ?? JSON.stringify({ issuer: idp.issuer, jwks_uri: idp.jwksUrl }));
    } else if (req.url === '/jwks.json') {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(idp.rawJwks ?? JSON.stringify({ keys: idp.published.map((key) => key.publicJwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(idp, { url, issuer: `${url}/`, discoveryUrl: `${url}/.well-known/openid-configuration`, jwksUrl: `${url}/jwks.json` });
  return idp;
}

/**
 * A JWS whose header and payload are these exact JSON texts (jose always re-serialises, so it
 * cannot make a token with a repeated member name). RS256 or ES256 (RFC 7518 §3.3, §3.4) with
 * Node's crypto.
 */
export function signRaw(headerJson: string, payloadJson: string, privateKey: CryptoKey, alg: 'RS256' | 'ES256' = 'RS256'): string {
  const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  const key = KeyObject.from(privateKey as unknown as Parameters<typeof KeyObject.from>[0]);
  const signature = cryptoSign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

export function signRawRs256(headerJson: string, payloadJson: string, key: SigningKey): string {
  return signRaw(headerJson, payloadJson, key.privateKey, 'RS256');
}
