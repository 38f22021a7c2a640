/**
 * The vault's tables (migration 0009): vault_secrets (name, promoted version) and
 * vault_secret_versions (one envelope per version). Metadata reads never select a ciphertext, so no
 * list or show can return one by mistake; only the projection, reveal and re-wrap read envelopes.
 * Writes run in a unit of work and record a `secret` change, so every node's vault view follows.
 */
import { sql } from 'kysely';
import { randomBase62 } from '../store/ids.js';
import { ConflictError, NotFoundError, type Db, type PageRequest } from '../store/repositories.js';
import { recordChange, type WriteTx } from '../store/store.js';
import type { Envelope } from './envelope.js';

export interface SecretRecord {
  readonly id: string;
  readonly name: string;
  readonly currentVersion: number | null;
  readonly description: string;
  readonly versions: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface VersionRecord {
  readonly version: number;
  readonly kekId: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** A version with its envelope: what the projection and reveal decrypt. */
export interface SealedVersion {
  readonly secretId: string;
  readonly name: string;
  readonly version: number;
  readonly envelope: Envelope;
}

/** The record binding of a secret version's envelope (its AAD, envelope.ts): id, version and field. */
export function versionBinding(secretId: string, version: number): string {
  return `secret=${secretId}|version=${version}|field=value`;
}

export class SecretRepository {
  constructor(private readonly db: Db) {}

  async findByName(name: string, db: Db = this.db): Promise<SecretRecord | undefined> {
    const row = await this.#metadata(db).where('s.name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Secrets by name (keyset on the name), metadata only. */
  async page(page: PageRequest): Promise<SecretRecord[]> {
    const query = this.#metadata(this.db);
    const after = page.after === undefined ? query : query.where('s.name', '>', page.after);
    return (await after.orderBy('s.name').limit(page.limit).execute()).map(toRecord);
  }

  async versions(secretId: string): Promise<VersionRecord[]> {
    const rows = await this.db.selectFrom('vault_secret_versions').select(['version', 'kek_id', 'created_by', 'created_at']).where('secret_id', '=', secretId).orderBy('version').execute();
    return rows.map((row) => ({ version: Number(row.version), kekId: row.kek_id, createdBy: row.created_by, createdAt: Number(row.created_at) }));
  }

  /** The promoted version of each secret (of `ids`, or all), with its envelope. */
  async promoted(ids?: readonly string[]): Promise<SealedVersion[]> {
    if (ids !== undefined && ids.length === 0) return [];
    let query = this.db
      .selectFrom('vault_secrets as s')
      .innerJoin('vault_secret_versions as v', (join) => join.onRef('v.secret_id', '=', 's.id').onRef('v.version', '=', 's.current_version'))
      .select(['s.id', 's.name', 'v.version', 'v.kek_id', 'v.wrapped_key', 'v.ciphertext']);
    if (ids !== undefined) query = query.where('s.id', 'in', ids);
    return (await query.execute()).map(toSealed);
  }

  async sealedVersion(secretId: string, version: number, db: Db = this.db): Promise<SealedVersion | undefined> {
    const row = await db
      .selectFrom('vault_secrets as s')
      .innerJoin('vault_secret_versions as v', 'v.secret_id', 's.id')
      .select(['s.id', 's.name', 'v.version', 'v.kek_id', 'v.wrapped_key', 'v.ciphertext'])
      .where('s.id', '=', secretId)
      .where('v.version', '=', version)
      .executeTakeFirst();
    return row && toSealed(row);
  }

  /** Creates the secret if there is none of that name; its id. */
  async ensure(tx: WriteTx, name: string, description: string | undefined): Promise<{ id: string; created: boolean }> {
    const found = await tx.db.selectFrom('vault_secrets').select('id').where('name', '=', name).executeTakeFirst();
    if (found) {
      if (description !== undefined) await tx.db.updateTable('vault_secrets').set({ description }).where('id', '=', found.id).execute();
      return { id: found.id, created: false };
    }
    const id = `sec_${randomBase62(16)}`;
    await tx.db.insertInto('vault_secrets').values({ id, name, current_version: null, description: description ?? '', created_by: `${tx.actor.kind}:${tx.actor.id}`, created_at: tx.now, updated_at: tx.now }).execute();
    return { id, created: true };
  }

  /** The number the next version of `secretId` gets (call under the revision lock: recordChange or lockRevision). */
  async nextVersion(tx: WriteTx, secretId: string): Promise<number> {
    const row = await tx.db.selectFrom('vault_secret_versions').select((eb) => eb.fn.max('version').as('max')).where('secret_id', '=', secretId).executeTakeFirst();
    return Number(row?.max ?? 0) + 1;
  }

  async insertVersion(tx: WriteTx, secretId: string, version: number, envelope: Envelope, promote: boolean): Promise<void> {
    await tx.db
      .insertInto('vault_secret_versions')
      .values({ secret_id: secretId, version, kek_id: envelope.kekId, wrapped_key: envelope.wrappedKey, ciphertext: envelope.ciphertext, created_by: `${tx.actor.kind}:${tx.actor.id}`, created_at: tx.now })
      .execute();
    const before = await tx.db.selectFrom('vault_secrets').select(['name', 'current_version']).where('id', '=', secretId).executeTakeFirstOrThrow();
    await tx.db.updateTable('vault_secrets').set(promote ? { current_version: version, updated_at: tx.now } : { updated_at: tx.now }).where('id', '=', secretId).execute();
    // Names and version numbers only: the value is never part of an audit record.
    await recordChange(tx, 'secret', secretId, {
      detail: { name: before.name, version, staged: !promote, kekId: envelope.kekId },
      changes: { before: { currentVersion: before.current_version }, after: { currentVersion: promote ? version : before.current_version } },
    });
  }

  async promote(tx: WriteTx, name: string, version: number): Promise<SecretRecord> {
    const secret = await this.findByName(name, tx.db);
    if (!secret) throw new NotFoundError('secret', name);
    const exists = await tx.db.selectFrom('vault_secret_versions').select('version').where('secret_id', '=', secret.id).where('version', '=', version).executeTakeFirst();
    if (!exists) throw new NotFoundError('secret version', `${name} v${version}`);
    await tx.db.updateTable('vault_secrets').set({ current_version: version, updated_at: tx.now }).where('id', '=', secret.id).execute();
    await recordChange(tx, 'secret', secret.id, { detail: { name }, changes: { before: { currentVersion: secret.currentVersion }, after: { currentVersion: version } } });
    return { ...secret, currentVersion: version, updatedAt: tx.now };
  }

  /** Deletes one version (never the promoted one), or the whole secret with every version. */
  async delete(tx: WriteTx, name: string, version?: number, detail: Record<string, unknown> = {}): Promise<void> {
    const secret = await this.findByName(name, tx.db);
    if (!secret) throw new NotFoundError('secret', name);
    if (version !== undefined) {
      if (version === secret.currentVersion) throw new ConflictError(`version ${version} of ${name} is the promoted one: promote another first, or delete the secret`);
      const deleted = await tx.db.deleteFrom('vault_secret_versions').where('secret_id', '=', secret.id).where('version', '=', version).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError('secret version', `${name} v${version}`);
    } else {
      await tx.db.deleteFrom('vault_secret_versions').where('secret_id', '=', secret.id).execute();
      await tx.db.deleteFrom('vault_secrets').where('id', '=', secret.id).execute();
    }
    await recordChange(tx, 'secret', secret.id, { detail: { name, ...(version === undefined ? { versions: secret.versions } : { version }), ...detail } });
  }

  /** Up to `limit` versions whose data key is wrapped by another KEK than `kekId` (rotate-kek). */
  async wrappedByOther(kekId: string, limit: number): Promise<SealedVersion[]> {
    const rows = await this.db
      .selectFrom('vault_secret_versions as v')
      .innerJoin('vault_secrets as s', 's.id', 'v.secret_id')
      .select(['s.id', 's.name', 'v.version', 'v.kek_id', 'v.wrapped_key', 'v.ciphertext'])
      .where('v.kek_id', '<>', kekId)
      .orderBy('v.secret_id')
      .orderBy('v.version')
      .limit(limit)
      .execute();
    return rows.map(toSealed);
  }

  async countByKek(): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('vault_secret_versions').select(['kek_id', (eb) => eb.fn.countAll().as('n')]).groupBy('kek_id').execute();
    return Object.fromEntries(rows.map((row) => [row.kek_id, Number(row.n)]));
  }

  /**
   * Replaces a version's wrapped key, only if it is still wrapped by `fromKekId` (another rotation
   * may have got there first): the ciphertext is not touched. True when it was replaced.
   */
  async replaceWrap(tx: WriteTx, sealed: SealedVersion, next: Envelope): Promise<boolean> {
    const result = await tx.db
      .updateTable('vault_secret_versions')
      .set({ kek_id: next.kekId, wrapped_key: next.wrappedKey })
      .where('secret_id', '=', sealed.secretId)
      .where('version', '=', sealed.version)
      .where('kek_id', '=', sealed.envelope.kekId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  #metadata(db: Db) {
    return db
      .selectFrom('vault_secrets as s')
      .select(['s.id', 's.name', 's.current_version', 's.description', 's.created_by', 's.created_at', 's.updated_at'])
      .select((eb) => eb.selectFrom('vault_secret_versions as v').whereRef('v.secret_id', '=', 's.id').select(sql<number>`count(*)`.as('n')).as('versions'));
  }
}

interface MetadataRow {
  id: string;
  name: string;
  current_version: number | null;
  description: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  versions: number | null;
}

function toRecord(row: MetadataRow): SecretRecord {
  return {
    id: row.id,
    name: row.name,
    currentVersion: row.current_version === null ? null : Number(row.current_version),
    description: row.description,
    versions: Number(row.versions ?? 0),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toSealed(row: { id: string; name: string; version: number; kek_id: string; wrapped_key: string; ciphertext: string }): SealedVersion {
  return { secretId: row.id, name: row.name, version: Number(row.version), envelope: { kekId: row.kek_id, wrappedKey: row.wrapped_key, ciphertext: row.ciphertext } };
}
