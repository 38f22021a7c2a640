/**
 * The attacker's key server of the JWT probes: a plain HTTP server on 127.0.0.1 (port 0) that
 * publishes the attacker's public key as a JWKS (`/jwks.json`) and a PEM (`/x5u.pem`), and records
 * every request it gets. Tokens whose `jku` or `x5u` header points here must be refused without
 * the gateway ever fetching from it (RFC 8725 §3.10: never follow a key URL named by the token).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface AttackerKeyServer {
  readonly url: string;
  /** The attacker's signing key (RS256) and its public JWK (with `kid`). */
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** Paths requested so far: must stay empty. */
  readonly fetched: readonly string[];
  close(): Promise<void>;
}

export const ATTACKER_KID = 'selftest-attacker';

export async function startAttackerKeyServer(): Promise<AttackerKeyServer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: ATTACKER_KID, alg: 'RS256', use: 'sig' };
  const pem = await exportSPKI(publicKey);
  const fetched: string[] = [];
  const server: Server = createServer((req, res) => {
    fetched.push(`${req.method} ${req.url}`);
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    res.end(pem);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    privateKey,
    publicJwk,
    fetched,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
