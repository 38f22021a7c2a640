/**
 * Managing OAuth clients of the built-in authorization server (admin API, CLI). A client belongs
 * to a consumer. Its secret is generated here, returned once, and stored only as a keyed hash
 * (HMAC-SHA256 with `apiKeys.pepper`, like API keys); rotation issues a new secret and keeps the old
 * one valid for a grace period. A client may instead (or also) register public keys (JWKS) for
 * private_key_jwt.
 */
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import { hashApiKey } from '../keys/api-key-format.js';
import { randomBase62 } from '../store/ids.js';
import type { OAuthClientRecord, OAuthClientRepository } from '../store/oauth-repositories.js';
import type { PageRequest } from '../store/repositories.js';
import type { Store } from '../store/store.js';

export const CLIENT_SECRET_PREFIX = 'pcs_';
const ASYMMETRIC_KTY = new Set(['RSA', 'EC', 'OKP']);

export class ClientInputError extends Error {}

export interface ClientView {
  clientId: string;
  consumerId: string;
  name: string;
  scopes: string[];
  status: 'active' | 'revoked';
  authMethods: string[];
  /** The kids of the registered public keys (private_key_jwt). */
  jwksKeyIds: string[];
  previousSecretValidUntil: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
}

export interface NewClientRequest {
  consumerId: string;
  name: string;
  scopes: string[];
  /** Public keys for private_key_jwt. */
  jwks?: { keys: Array<Record<string, unknown>> } | undefined;
  /** false: no secret (a private_key_jwt-only client). */
  secret?: boolean | undefined;
}

export function hashClientSecret(secret: string, pepper: string): string {
  return hashApiKey(secret, pepper);
}

export class ClientService {
  constructor(
    private readonly store: Store,
    private readonly clients: OAuthClientRepository,
    private readonly pepper: string,
    private readonly clock: Clock,
    /** Applies a change to this node's state at once (other nodes follow the change feed). */
    private readonly changed: () => Promise<void> = async () => {},
  ) {}

  /** Each change is a unit of work of `actor`, who is also recorded as the client's `createdBy`. */
  async create(actor: Actor, request: NewClientRequest): Promise<{ clientSecret: string | undefined; view: ClientView }> {
    const withSecret = request.secret ?? true;
    if (!withSecret && !request.jwks) throw new ClientInputError('a client needs a secret or registered public keys (jwks)');
    if (request.jwks) checkJwks(request.jwks);
    const secret = withSecret ? newClientSecret() : undefined;
    const client = {
      id: `cli_${randomBase62(16)}`,
      consumerId: request.consumerId,
      name: request.name,
      secretHash: secret === undefined ? null : hashClientSecret(secret, this.pepper),
      jwks: request.jwks ?? null,
      scopes: request.scopes,
    };
    const record = await this.store.write(actor, 'oauth_client.create', (tx) => this.clients.insert(tx, client));
    await this.changed();
    return { clientSecret: secret, view: this.view(record) };
  }

  async rotate(actor: Actor, id: string, graceSeconds: number): Promise<{ clientSecret: string; view: ClientView }> {
    const secret = newClientSecret();
    const secretHash = hashClientSecret(secret, this.pepper);
    const graceUntil = this.clock.now() + graceSeconds * 1000;
    const record = await this.store.write(actor, 'oauth_client.rotate_secret', (tx) => this.clients.rotateSecret(tx, id, secretHash, graceUntil));
    await this.changed();
    return { clientSecret: secret, view: this.view(record) };
  }

  async revoke(actor: Actor, id: string): Promise<ClientView> {
    const record = await this.store.write(actor, 'oauth_client.revoke', (tx) => this.clients.revoke(tx, id));
    await this.changed();
    return this.view(record);
  }

  async get(id: string): Promise<ClientView> {
    return this.view(await this.clients.get(id));
  }

  async list(filter: { consumerId?: string } = {}): Promise<ClientView[]> {
    return (await this.clients.list(filter)).map((record) => this.view(record));
  }

  /** One page of clients in id order (the admin API's cursor pagination). */
  async page(filter: { consumerId?: string | undefined }, page: PageRequest): Promise<ClientView[]> {
    return (await this.clients.page(filter, page)).map((record) => this.view(record));
  }

  view(record: OAuthClientRecord): ClientView {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const graceOpen = record.previousSecretExpiresAt !== null && record.previousSecretExpiresAt > this.clock.now();
    return {
      clientId: record.id,
      consumerId: record.consumerId,
      name: record.name,
      scopes: record.scopes,
      status: record.status,
      authMethods: [...(record.secretHash === null ? [] : ['client_secret_basic', 'client_secret_post']), ...(record.jwks === null ? [] : ['private_key_jwt'])],
      jwksKeyIds: (record.jwks?.keys ?? []).map((key) => String(key.kid ?? '')),
      previousSecretValidUntil: graceOpen ? iso(record.previousSecretExpiresAt) : null,
      createdBy: record.createdBy,
      createdAt: iso(record.createdAt)!,
      updatedAt: iso(record.updatedAt)!,
      revokedAt: iso(record.revokedAt),
    };
  }
}

/** About 256 bits from the system's random source; the prefix lets secret scanners spot leaks. */
function newClientSecret(): string {
  return `${CLIENT_SECRET_PREFIX}${randomBase62(43)}`;
}

/** Registered keys must be public asymmetric keys, each with a kid. */
function checkJwks(jwks: { keys: Array<Record<string, unknown>> }): void {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ClientInputError('jwks.keys must list at least one public key');
  for (const key of jwks.keys) {
    if (!ASYMMETRIC_KTY.has(String(key.kty))) throw new ClientInputError('jwks keys must be RSA, EC or OKP public keys');
    if (key.d !== undefined || key.p !== undefined) throw new ClientInputError('jwks must hold public keys only: never send a private key');
    if (typeof key.kid !== 'string' || key.kid === '') throw new ClientInputError('every jwks key needs a kid');
  }
}
