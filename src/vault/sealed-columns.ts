/**
 * Every place in the store that holds something the vault sealed, and a census of which KEK wraps
 * each value. `vault rotate-kek` re-wraps every kind listed here (server/kek-rotation.ts must name
 * a re-wrapper for each: the map is typed by this list), and a node refuses to start when its KEKs
 * do not cover one of them (open-vault.ts). A new column sealed with `vault.sealValue` belongs
 * here; the backup manifest's `kekIds` (store/backup.ts) finds envelopes in any column, which is
 * how the rotation test notices a column missing from this list.
 */
import { sql } from 'kysely';
import type { Db } from '../store/repositories.js';
import { isPackedEnvelope, unpackEnvelope } from './envelope.js';

export const SEALED_COLUMNS = {
  /** The vault's own secrets (the audit checkpoint key among them, as `${secret:…}`): one KEK id column per version. */
  secret_versions: { table: 'vault_secret_versions', column: 'kek_id', packed: false },
  /** Tokens the upstream credentials obtained (credentials/token-sealer.ts). */
  upstream_credential_tokens: { table: 'upstream_credentials', column: 'tokens_sealed', packed: true },
  /** The built-in authorization server's private signing keys (oauth/signing-key-sealer.ts). */
  oauth_signing_keys: { table: 'oauth_signing_keys', column: 'private_jwk_encrypted', packed: true },
} as const;

export type SealedColumn = keyof typeof SEALED_COLUMNS;
export const SEALED_COLUMN_NAMES = Object.keys(SEALED_COLUMNS) as SealedColumn[];

/** Values not sealed by the vault yet (sealed by a key from before it): counted under this name. */
export const NOT_IN_VAULT = 'not-in-vault';

/** Per sealed column: how many values each KEK id wraps (and how many are `NOT_IN_VAULT`). Null values are not counted. */
export async function sealedCensus(db: Db): Promise<Record<SealedColumn, Record<string, number>>> {
  const census = {} as Record<SealedColumn, Record<string, number>>;
  for (const name of SEALED_COLUMN_NAMES) {
    const { table, column, packed } = SEALED_COLUMNS[name];
    const counts: Record<string, number> = {};
    const { rows } = await sql<{ v: string | null }>`select ${sql.ref(column)} as v from ${sql.table(table)}`.execute(db);
    for (const { v } of rows) {
      if (v === null) continue;
      const kek = !packed ? v : isPackedEnvelope(v) ? unpackEnvelope(v).kekId : NOT_IN_VAULT;
      counts[kek] = (counts[kek] ?? 0) + 1;
    }
    census[name] = counts;
  }
  return census;
}

/** How many values of each column are wrapped by anything but `kekId` (or not sealed by the vault). */
export function notWrappedBy(census: Record<SealedColumn, Record<string, number>>, kekId: string): Record<SealedColumn, number> {
  return Object.fromEntries(SEALED_COLUMN_NAMES.map((name) => [name, Object.entries(census[name]).reduce((sum, [kek, n]) => (kek === kekId ? sum : sum + n), 0)])) as Record<SealedColumn, number>;
}
