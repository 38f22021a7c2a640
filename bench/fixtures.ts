/**
 * What the benchmarks' gateways need besides a config: a store with an issued API key, a JWT
 * signing key and a token, certificates for TLS and mTLS (a CA, a server and a client leaf, a
 * CRL), and the small OpenAPI contract of the two benchmarked operations. All made fresh per run
 * in temporary folders.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair as generateJwtKeyPair, SignJWT } from 'jose';
import { CONSUMER_URI_PREFIX } from '../src/auth/consumer-uri.js';
import type { Actor } from '../src/core/actor.js';
import { generateApiKey, hashApiKey } from '../src/keys/api-key-format.js';
import { createLogger } from '../src/observability/logger.js';
import { createCa, createCrl, crlToPem, generateKeyPair, issueLeaf, privateKeyToPem } from '../src/pki/issue.js';
import { migrateToLatest, openStore } from '../src/store/open-store.js';
import { ApiKeyRepository, ConsumerRepository } from '../src/store/repositories.js';
import { Store } from '../src/store/store.js';
import { tempDir } from './processes.js';

/** The pepper of bench stores' key hashes: handed to gateways as ${env:BENCH_PEPPER}. */
export const PEPPER = 'bench-pepper-0123456789abcdefghijklmnopqrstuvwxyz';
export const JWT_ISSUER = 'https://idp.bench.example';
export const JWT_AUDIENCE = 'https://api.bench.example';
const DAY = 86400000;

/** A SQLite store with one consumer holding one API key with `scopes`; returns its path and the plaintext key. */
export async function storeWithKey(scopes: string[] = ['accounts:read']): Promise<{ path: string; key: string }> {
  const path = join(tempDir('store'), 'store.db');
  const store = openStore({ driver: 'sqlite', path });
  await migrateToLatest(store);
  const unit = new Store(store, { clock: { now: () => Date.now() }, logger: () => createLogger({ level: 'silent', redactHeaders: [] }, { write: () => true }) });
  const actor: Actor = { kind: 'cli', id: 'bench' };
  const consumer = await unit.write(actor, 'consumer.create', (tx) => new ConsumerRepository(store.db).create(tx, { name: 'bench' }));
  const issued = generateApiKey('ptc', 'live');
  const key = { id: issued.id, consumerId: consumer.id, name: 'bench', environment: 'live', hash: hashApiKey(issued.key, PEPPER), scopes, expiresAt: null };
  await unit.write(actor, 'api_key.create', (tx) => new ApiKeyRepository(store.db).insert(tx, key));
  await unit.close();
  return { path, key: issued.key };
}

/** A fresh signing key (its public JWK for the gateway) and an access token (RFC 9068) valid for an hour. */
export async function jwtSigner(alg: 'RS256' | 'ES256', scope = 'accounts:read'): Promise<{ jwk: Record<string, unknown>; token: string }> {
  const { publicKey, privateKey } = await generateJwtKeyPair(alg);
  const kid = `bench-${alg}`;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ scope, client_id: 'bench-client' })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(JWT_ISSUER)
    .setSubject('bench-partner')
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti('bench-token')
    .sign(privateKey);
  return { jwk: { ...(await exportJWK(publicKey)), kid, alg }, token };
}

export interface Certificates {
  ca: string;
  caPem: string;
  serverCert: string;
  serverKey: string;
  /** PEM text of the client certificate (URI SAN naming consumer "bench") and its key. */
  clientCert: string;
  clientKey: string;
  /** The same as files, for tools that read files (stunnel). */
  clientCertFile: string;
  clientKeyFile: string;
  crl: string;
}

/** ECDSA P-256: a CA, a server leaf for 127.0.0.1, a client leaf, and a CRL with 100 entries (so the revocation lookup is a real one). Paths are files in `dir`. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const now = Date.now();
  const caKeys = await generateKeyPair();
  const ca = await createCa({ subject: 'CN=Bench CA', keys: caKeys, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY) });
  const signer = { certificate: ca, privateKey: caKeys.privateKey };
  const serverKeys = await generateKeyPair();
  const server = await issueLeaf({ subject: 'CN=localhost', publicKey: serverKeys.publicKey, issuer: signer, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY), usage: 'server', altNames: [{ type: 'ip', value: '127.0.0.1' }] });
  const clientKeys = await generateKeyPair();
  const client = await issueLeaf({ subject: 'CN=bench-partner', publicKey: clientKeys.publicKey, issuer: signer, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY), usage: 'client', altNames: [{ type: 'url', value: `${CONSUMER_URI_PREFIX}bench` }] });
  const crl = await createCrl({ issuer: signer, revoked: Array.from({ length: 100 }, (_, i) => ({ serial: (0x1000 + i).toString(16), revokedAt: new Date(now) })), thisUpdate: new Date(now), nextUpdate: new Date(now + DAY), crlNumber: 1 });
  const write = (name: string, content: string) => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return join(dir, name);
  };
  const clientCert = client.toString('pem');
  const clientKey = await privateKeyToPem(clientKeys.privateKey);
  return {
    ca: write('ca.pem', ca.toString('pem')),
    caPem: ca.toString('pem'),
    serverCert: write('server.crt', server.toString('pem')),
    serverKey: write('server.key', await privateKeyToPem(serverKeys.privateKey)),
    clientCert,
    clientKey,
    clientCertFile: write('client.crt', clientCert),
    clientKeyFile: write('client.key', clientKey),
    crl: write('ca.crl.pem', crlToPem(crl)),
  };
}

/** The contract of the two benchmarked operations (paths without the gateway's /v1 prefix). */
export const CONTRACT = `
openapi: 3.0.3
info: { title: Bench accounts and payments, version: '1' }
paths:
  /accounts/{accountId}:
    get:
      operationId: getAccount
      parameters:
        - { name: accountId, in: path, required: true, schema: { type: string, pattern: '^[0-9]{1,12}$' } }
      responses: { '200': { description: the account } }
  /payments:
    post:
      operationId: createPayment
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [amount, currency, creditor]
              properties:
                amount: { type: integer, minimum: 1 }
                currency: { type: string, enum: [EUR, GBP, USD] }
                creditor: { type: string, pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' }
                reference: { type: string, maxLength: 140 }
      responses: { '200': { description: the payment } }
`;

/** Writes CONTRACT to a file and returns its path. */
export function writeContract(dir: string): string {
  const path = join(dir, 'bench.openapi.yaml');
  writeFileSync(path, CONTRACT);
  return path;
}
