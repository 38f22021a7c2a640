/**
 * The upstream credentials' rows (issue 19 §4, §5): what the gateway injects into requests to a
 * third party, its lifecycle, and the tokens it obtained (sealed by the caller: this module never
 * sees a token in the clear). Every write runs inside a unit of work and records a change, so
 * every node's credential cache follows it and each step is audited.
 */
import { randomBase62 } from './ids.js';
import { chunks, ConflictError, keysetPage, NotFoundError, type Db, type PageRequest } from './repositories.js';
import { recordChange, type WriteTx } from './store.js';
import type { UpstreamCredentialKind, UpstreamCredentialStatus, UpstreamCredentialsTable } from './tables.js';

export const newUpstreamCredentialId = () => `ucr_${randomBase62(16)}`;

export interface UpstreamCredentialRow {
  readonly id: string;
  readonly name: string;
  readonly kind: UpstreamCredentialKind;
  /** Parsed settings: secret references and endpoints, never a secret value. */
  readonly settings: Record<string, unknown>;
  readonly status: UpstreamCredentialStatus;
  readonly statusReason: string | null;
  readonly owner: string;
  readonly consumerId: string | null;
  readonly expiresAt: number | null;
  readonly maxAgeDays: number | null;
  readonly disableIfUnusedDays: number | null;
  readonly lastUsedAt: number | null;
  readonly tokenVersion: number;
  readonly tokensSealed: string | null;
  readonly tokenExpiresAt: number | null;
  readonly refreshedAt: number | null;
  /** The last failed token request (message), cleared by the next stored tokens. */
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewUpstreamCredential {
  readonly name: string;
  readonly kind: UpstreamCredentialKind;
  readonly settings: Record<string, unknown>;
  readonly owner: string;
  readonly consumerId?: string | null | undefined;
  readonly expiresAt?: number | null | undefined;
  readonly maxAgeDays?: number | null | undefined;
  readonly disableIfUnusedDays?: number | null | undefined;
}

/** A token store that lost the fencing check: the row holds a newer version than the one read. */
export class StaleTokenVersionError extends Error {
  constructor(readonly id: string, readonly expected: number) {
    super(`upstream credential ${id}: token version ${expected} is no longer current`);
    this.name = 'StaleTokenVersionError';
  }
}

export class UpstreamCredentialRepository {
  constructor(private readonly db: Db) {}

  async create(tx: WriteTx, input: NewUpstreamCredential): Promise<UpstreamCredentialRow> {
    const taken = await tx.db.selectFrom('upstream_credentials').select('id').where('name', '=', input.name).executeTakeFirst();
    if (taken) throw new ConflictError(`an upstream credential named ${input.name} exists`);
    const row: UpstreamCredentialsTable = {
      id: newUpstreamCredentialId(),
      name: input.name,
      kind: input.kind,
      settings: JSON.stringify(input.settings),
      status: 'active',
      status_reason: null,
      owner: input.owner,
      consumer_id: input.consumerId ?? null,
      expires_at: input.expiresAt ?? null,
      max_age_days: input.maxAgeDays ?? null,
      disable_if_unused_days: input.disableIfUnusedDays ?? null,
      last_used_at: null,
      token_version: 0,
      tokens_sealed: null,
      last_error: null,
      last_error_at: null,
      token_expires_at: null,
      refreshed_at: null,
      created_by: `${tx.actor.kind}:${tx.actor.id}`,
      created_at: tx.now,
      updated_at: tx.now,
    };
    await tx.db.insertInto('upstream_credentials').values(row).execute();
    await recordChange(tx, 'upstream_credential', row.id);
    return toRow(row);
  }

  async find(idOrName: string, db: Db = this.db): Promise<UpstreamCredentialRow | undefined> {
    const row = await db.selectFrom('upstream_credentials').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    return row ? toRow(row) : undefined;
  }

  async get(idOrName: string, db: Db = this.db): Promise<UpstreamCredentialRow> {
    const row = await this.find(idOrName, db);
    if (!row) throw new NotFoundError('upstream credential', idOrName);
    return row;
  }

  async list(page?: PageRequest): Promise<UpstreamCredentialRow[]> {
    const query = this.db.selectFrom('upstream_credentials').selectAll();
    const rows = page ? await keysetPage(query, page).execute() : await query.orderBy('id').execute();
    return rows.map(toRow);
  }

  async listByIds(ids: readonly string[]): Promise<UpstreamCredentialRow[]> {
    const out: UpstreamCredentialRow[] = [];
    for (const part of chunks(ids)) {
      if (part.length === 0) continue;
      out.push(...(await this.db.selectFrom('upstream_credentials').selectAll().where('id', 'in', part).execute()).map(toRow));
    }
    return out;
  }

  /**
   * Where the credentials that may still be used (active or quarantined: a revoked or expired one
   * never is again) name the vault secret `name` (`${secret:NAME}` in their settings), as
   * `upstream_credentials.<credential>.settings.<field>`, sorted. Read with `db` (a unit of work's,
   * under the writers' lock, so a credential created meanwhile is seen: secret deletion).
   */
  async secretReferences(name: string, db: Db = this.db): Promise<string[]> {
    const reference = `\${secret:${name}}`;
    // LIKE narrows (case rules differ between SQLite and PostgreSQL); the exact match is below.
    const rows = await db.selectFrom('upstream_credentials').select(['name', 'settings']).where('status', 'in', ['active', 'quarantined']).where('settings', 'like', `%${reference}%`).execute();
    const paths: string[] = [];
    for (const row of rows) {
      for (const [field, value] of Object.entries(JSON.parse(row.settings) as Record<string, unknown>)) {
        if (value === reference) paths.push(`upstream_credentials.${row.name}.settings.${field}`);
      }
    }
    return paths.sort();
  }

  /** The active credentials that serve `consumerId` (revoked when it is disabled). */
  async activeForConsumer(tx: WriteTx, consumerId: string): Promise<UpstreamCredentialRow[]> {
    return (await tx.db.selectFrom('upstream_credentials').selectAll().where('consumer_id', '=', consumerId).where('status', 'in', ['active', 'quarantined']).execute()).map(toRow);
  }

  /**
   * Stores newly obtained tokens if `expectedVersion` is still the row's version (the fencing
   * check, in the UPDATE itself): a node whose lock lapsed while another refreshed gets
   * StaleTokenVersionError and the newer tokens stay. Returns the new version.
   */
  async storeTokens(tx: WriteTx, id: string, expectedVersion: number, sealed: (version: number) => string, tokenExpiresAt: number | null): Promise<number> {
    const version = expectedVersion + 1;
    const result = await tx.db
      .updateTable('upstream_credentials')
      .set({ tokens_sealed: sealed(version), token_version: version, token_expires_at: tokenExpiresAt, refreshed_at: tx.now, last_error: null, last_error_at: null, updated_at: tx.now })
      .where('id', '=', id)
      .where('token_version', '=', expectedVersion)
      .where('status', 'in', ['active', 'quarantined'])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new StaleTokenVersionError(id, expectedVersion);
    await recordChange(tx, 'upstream_credential', id);
    return version;
  }

  /**
   * Replaces the sealed tokens of one version with the same tokens sealed anew (a KEK rotation's
   * re-wrap, a legacy row re-sealed by the vault), only if the row still holds `expected` at
   * `version` (compare-and-set: a refresh meanwhile wins). The version is unchanged. Returns whether it replaced.
   */
  async replaceSealed(tx: WriteTx, id: string, version: number, expected: string, next: string, detail: Record<string, unknown>): Promise<boolean> {
    const result = await tx.db
      .updateTable('upstream_credentials')
      .set({ tokens_sealed: next, updated_at: tx.now })
      .where('id', '=', id)
      .where('token_version', '=', version)
      .where('tokens_sealed', '=', expected)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await recordChange(tx, 'upstream_credential', id, { detail });
    return true;
  }

  /**
   * Changes the status (revoke, quarantine, release, expire). A revoked or expired credential
   * also loses its stored tokens: nothing is left to send. Returns false if it already had the status.
   */
  async setStatus(tx: WriteTx, id: string, status: UpstreamCredentialStatus, reason: string | null): Promise<boolean> {
    const current = await this.get(id, tx.db);
    if (current.status === status) return false;
    if (current.status === 'revoked' || current.status === 'expired') throw new ConflictError(`upstream credential ${current.name} is ${current.status}`);
    const forGood = status === 'revoked' || status === 'expired';
    await tx.db
      .updateTable('upstream_credentials')
      .set({ status, status_reason: reason, updated_at: tx.now, ...(forGood ? { tokens_sealed: null, token_expires_at: null, token_version: current.tokenVersion + 1 } : {}) })
      .where('id', '=', current.id)
      .execute();
    await recordChange(tx, 'upstream_credential', current.id);
    return true;
  }

  async update(tx: WriteTx, id: string, changes: Partial<Pick<NewUpstreamCredential, 'settings' | 'owner' | 'expiresAt' | 'maxAgeDays' | 'disableIfUnusedDays' | 'consumerId'>>): Promise<void> {
    const current = await this.get(id, tx.db);
    await tx.db
      .updateTable('upstream_credentials')
      .set({
        ...(changes.settings === undefined ? {} : { settings: JSON.stringify(changes.settings) }),
        ...(changes.owner === undefined ? {} : { owner: changes.owner }),
        ...(changes.expiresAt === undefined ? {} : { expires_at: changes.expiresAt }),
        ...(changes.maxAgeDays === undefined ? {} : { max_age_days: changes.maxAgeDays }),
        ...(changes.disableIfUnusedDays === undefined ? {} : { disable_if_unused_days: changes.disableIfUnusedDays }),
        ...(changes.consumerId === undefined ? {} : { consumer_id: changes.consumerId }),
        updated_at: tx.now,
      })
      .where('id', '=', current.id)
      .execute();
    await recordChange(tx, 'upstream_credential', current.id);
  }

  /** The last failed token request, for `credentials show` (not a change other nodes must follow: no change row). */
  async recordError(tx: WriteTx, id: string, message: string): Promise<void> {
    await tx.db.updateTable('upstream_credentials').set({ last_error: message.slice(0, 500), last_error_at: tx.now }).where('id', '=', id).execute();
  }

  /** Last use, written in batches (not a change other nodes must follow, so no change row). */
  async recordLastUsed(tx: WriteTx, uses: ReadonlyMap<string, number>): Promise<void> {
    for (const [id, at] of uses) {
      await tx.db.updateTable('upstream_credentials').set({ last_used_at: at }).where('id', '=', id).where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)])).execute();
    }
  }
}

function toRow(row: UpstreamCredentialsTable): UpstreamCredentialRow {
  const n = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    status: row.status,
    statusReason: row.status_reason,
    owner: row.owner,
    consumerId: row.consumer_id,
    expiresAt: n(row.expires_at),
    maxAgeDays: n(row.max_age_days),
    disableIfUnusedDays: n(row.disable_if_unused_days),
    lastUsedAt: n(row.last_used_at),
    tokenVersion: Number(row.token_version),
    tokensSealed: row.tokens_sealed,
    tokenExpiresAt: n(row.token_expires_at),
    refreshedAt: n(row.refreshed_at),
    lastError: row.last_error ?? null,
    lastErrorAt: n(row.last_error_at ?? null),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
