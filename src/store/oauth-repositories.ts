/**
 * The built-in authorization server's tables: OAuth clients (secrets as keyed hashes only),
 * signing keys (private halves encrypted only), revoked tokens and used client assertions. Every
 * write runs in a unit of work (store.ts) and records a change for what nodes must follow, like API
 * keys. Used client assertions are the exception: see useAssertion.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { describeActor } from '../core/actor.js';
import { ConflictError, isUniqueViolation, keysetPage, NotFoundError, requireActiveConsumer, type Db, type PageRequest } from './repositories.js';
import { lockRevision, recordChange, type WriteTx } from './store.js';
import { SECRET_MARKER, SECRET_REPLACED } from './audit-record.js';
import type { OAuthClientsTable, OAuthSigningKeysTable, StoreTables } from './tables.js';

export interface OAuthClientRecord {
  id: string;
  consumerId: string;
  name: string;
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: number | null;
  jwks: { keys: Array<Record<string, unknown>> } | null;
  scopes: string[];
  status: 'active' | 'revoked';
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
}

export interface SigningKeyRecord {
  id: string;
  algorithm: string;
  publicJwk: Record<string, unknown>;
  privateJwkEncrypted: string;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

const toClient = (row: OAuthClientsTable): OAuthClientRecord => ({
  id: row.id,
  consumerId: row.consumer_id,
  name: row.name,
  secretHash: row.secret_hash,
  previousSecretHash: row.previous_secret_hash,
  previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at),
  jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as OAuthClientRecord['jwks']),
  scopes: JSON.parse(row.scopes) as string[],
  status: row.status,
  createdBy: row.created_by,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
});

const toSigningKey = (row: OAuthSigningKeysTable): SigningKeyRecord => ({
  id: row.id,
  algorithm: row.algorithm,
  publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
  privateJwkEncrypted: row.private_jwk_encrypted,
  status: row.status,
  createdAt: Number(row.created_at),
  retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  publishUntil: row.publish_until === null ? null : Number(row.publish_until),
});

/** A client as its audit record shows it: secret hashes stand as SECRET_MARKER when set. */
const auditedClient = (client: OAuthClientRecord) => ({
  ...client,
  secretHash: client.secretHash === null ? null : SECRET_MARKER,
  previousSecretHash: client.previousSecretHash === null ? null : SECRET_MARKER,
});

/** A signing key as its audit record shows it: the public JWK, never the (encrypted) private one. */
const auditedSigningKey = (key: SigningKeyRecord) => ({ ...key, privateJwkEncrypted: SECRET_MARKER });

export class OAuthClientRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  /** `created_by` is the unit of work's actor. */
  async insert(tx: WriteTx, client: { id: string; consumerId: string; name: string; secretHash: string | null; jwks: OAuthClientRecord['jwks']; scopes: string[] }): Promise<OAuthClientRecord> {
    const now = tx.now;
    const row: OAuthClientsTable = {
      id: client.id,
      consumer_id: client.consumerId,
      name: client.name,
      secret_hash: client.secretHash,
      previous_secret_hash: null,
      previous_secret_expires_at: null,
      jwks: client.jwks === null ? null : JSON.stringify(client.jwks),
      scopes: JSON.stringify(client.scopes),
      status: 'active',
      created_by: describeActor(tx.actor),
      created_at: now,
      updated_at: now,
      revoked_at: null,
    };
    await requireActiveConsumer(tx.db, client.consumerId);
    await tx.db.insertInto('oauth_clients').values(row).execute();
    const created = toClient(row);
    await recordChange(tx, 'oauth_client', row.id, { changes: { after: auditedClient(created) } });
    return created;
  }

  /** `db`: a unit of work's transaction, to read what it wrote. */
  async get(id: string, db: Db = this.db): Promise<OAuthClientRecord> {
    const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('oauth client', id);
    return toClient(row);
  }

  async list(filter: { consumerId?: string } = {}): Promise<OAuthClientRecord[]> {
    let query = this.db.selectFrom('oauth_clients').selectAll();
    if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
    return (await query.orderBy('created_at').orderBy('id').execute()).map(toClient);
  }

  /** One page in id order (keysetPage), of one consumer's clients or of all. */
  async page(filter: { consumerId?: string | undefined }, page: PageRequest): Promise<OAuthClientRecord[]> {
    let query = this.db.selectFrom('oauth_clients').selectAll();
    if (filter.consumerId) query = query.where('consumer_id', '=', filter.consumerId);
    return (await keysetPage(query, page).execute()).map(toClient);
  }

  async listByIds(ids: readonly string[]): Promise<OAuthClientRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('oauth_clients').selectAll().where('id', 'in', [...ids]).execute()).map(toClient);
  }

  /** A new secret; the old one keeps working until `graceUntil` (rotation with grace). */
  async rotateSecret(tx: WriteTx, id: string, secretHash: string, graceUntil: number): Promise<OAuthClientRecord> {
    const row = await tx.db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('oauth client', id);
    if (row.status !== 'active') throw new ConflictError(`oauth client ${id} is revoked`);
    await tx.db
      .updateTable('oauth_clients')
      .set({ secret_hash: secretHash, previous_secret_hash: row.secret_hash, previous_secret_expires_at: row.secret_hash === null ? null : graceUntil, updated_at: tx.now })
      .where('id', '=', id)
      .execute();
    const after = await this.get(id, tx.db);
    const rotated = { ...auditedClient(after), secretHash: SECRET_REPLACED };
    await recordChange(tx, 'oauth_client', id, { changes: { before: auditedClient(toClient(row)), after: rotated } });
    return after;
  }

  /** Revocation stops the client and every token it holds, on every node at the next refresh. */
  async revoke(tx: WriteTx, id: string): Promise<OAuthClientRecord> {
    const before = await this.get(id, tx.db);
    const result = await tx.db.updateTable('oauth_clients').set({ status: 'revoked', revoked_at: tx.now, updated_at: tx.now }).where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
    const after = await this.get(id, tx.db);
    // Revoking a revoked client changes nothing.
    if (result.numUpdatedRows !== 0n) await recordChange(tx, 'oauth_client', id, { changes: { before: auditedClient(before), after: auditedClient(after) } });
    return after;
  }
}

export class SigningKeyRepository {
  constructor(private readonly db: Kysely<StoreTables>) {}

  async list(): Promise<SigningKeyRecord[]> {
    return (await this.db.selectFrom('oauth_signing_keys').selectAll().orderBy('created_at').orderBy('id').execute()).map(toSigningKey);
  }

  /** One page in id order (keysetPage). */
  async page(page: PageRequest): Promise<SigningKeyRecord[]> {
    return (await keysetPage(this.db.selectFrom('oauth_signing_keys').selectAll(), page).execute()).map(toSigningKey);
  }

  async listByIds(ids: readonly string[]): Promise<SigningKeyRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('oauth_signing_keys').selectAll().where('id', 'in', [...ids]).execute()).map(toSigningKey);
  }

  /**
   * Replaces a key's sealed private JWK, only if it is still `from` (compare-and-set: two nodes
   * resealing at once, or a rotation meanwhile, cannot lose a write). True when replaced; the
   * caller records the change.
   */
  async replaceSealedPrivateKey(tx: WriteTx, kid: string, from: string, to: string): Promise<boolean> {
    const result = await tx.db.updateTable('oauth_signing_keys').set({ private_jwk_encrypted: to }).where('id', '=', kid).where('private_jwk_encrypted', '=', from).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Makes `next()` the active key unless a key of `algorithm` younger than `maxAgeMs` is active
   * already (`force` rotates anyway). The previous active keys are retired but stay published until
   * `publishForMs` from now (the longest token they can have signed). The store revision row is
   * locked first, so two nodes starting at once do not both create a key. `next` is called only
   * when a key is due.
   */
  async rotateIfDue(
    tx: WriteTx,
    maxAgeMs: number,
    publishForMs: number,
    force: boolean,
    next: () => Promise<Omit<SigningKeyRecord, 'status' | 'createdAt' | 'retiredAt' | 'publishUntil'>>,
    algorithm?: string,
  ): Promise<SigningKeyRecord | undefined> {
    const now = tx.now;
    await lockRevision(tx);
    const active = await tx.db.selectFrom('oauth_signing_keys').selectAll().where('status', '=', 'active').execute();
    // A key of another algorithm (the configured one changed) is due at once.
    const current = active.filter((row) => algorithm === undefined || row.algorithm === algorithm);
    const newest = Math.max(Number.NEGATIVE_INFINITY, ...current.map((row) => Number(row.created_at)));
    if (!force && now - newest < maxAgeMs) return undefined;
    const key = await next();
    for (const row of active) {
      const retired = { status: 'retired' as const, retired_at: now, publish_until: now + publishForMs };
      await tx.db.updateTable('oauth_signing_keys').set(retired).where('id', '=', row.id).execute();
      await recordChange(tx, 'signing_key', row.id, { changes: { before: auditedSigningKey(toSigningKey(row)), after: auditedSigningKey(toSigningKey({ ...row, ...retired })) } });
    }
    const row: OAuthSigningKeysTable = {
      id: key.id,
      algorithm: key.algorithm,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk_encrypted: key.privateJwkEncrypted,
      status: 'active',
      created_at: now,
      retired_at: null,
      publish_until: null,
    };
    await tx.db.insertInto('oauth_signing_keys').values(row).execute();
    const created = toSigningKey(row);
    await recordChange(tx, 'signing_key', key.id, { changes: { after: auditedSigningKey(created) } });
    return created;
  }
}

export class TokenRevocationRepository {
  constructor(
    private readonly db: Kysely<StoreTables>,
    private readonly clock: Clock,
  ) {}

  async revoke(tx: WriteTx, jti: string, clientId: string, expiresAt: number): Promise<void> {
    // Rows of expired tokens serve no purpose (an expired token is refused anyway, and followers
    // drop them at expiry): no change row.
    await tx.db.deleteFrom('oauth_revoked_tokens').where('expires_at', '<', tx.now).execute();
    const exists = await tx.db.selectFrom('oauth_revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
    if (exists) return;
    await tx.db.insertInto('oauth_revoked_tokens').values({ jti, client_id: clientId, expires_at: expiresAt, revoked_at: tx.now }).execute();
    await recordChange(tx, 'revoked_token', jti);
  }

  /** Revoked tokens not yet expired (older ones cannot be used anyway). */
  async listLive(): Promise<Array<{ jti: string; expiresAt: number }>> {
    const rows = await this.db.selectFrom('oauth_revoked_tokens').select(['jti', 'expires_at']).where('expires_at', '>', this.clock.now()).execute();
    return rows.map((row) => ({ jti: row.jti, expiresAt: Number(row.expires_at) }));
  }

  async listByIds(ids: readonly string[]): Promise<Array<{ jti: string; expiresAt: number }>> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('oauth_revoked_tokens').select(['jti', 'expires_at']).where('jti', 'in', [...ids]).execute();
    return rows.map((row) => ({ jti: row.jti, expiresAt: Number(row.expires_at) }));
  }

  /**
   * Records a client assertion's jti; false if it was used before (a replay). Shared by every
   * node through the store's primary key, so a replay on another node is refused too. Not a unit
   * of work: it is the token endpoint's replay memory, read by no follower and changed by no one,
   * and each token request would otherwise add a change row.
   */
  async useAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.db.deleteFrom('oauth_used_assertions').where('expires_at', '<', now).execute();
      await this.db.insertInto('oauth_used_assertions').values({ client_id: clientId, jti, expires_at: expiresAt }).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
