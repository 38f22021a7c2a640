/**
 * `portcullis vault rotate-kek` for everything the vault seals (docs/vault.md#kek-rotation): the
 * secret versions, the upstream credentials' stored tokens and the authorization server's private
 * signing keys (the audit checkpoint key is a vault secret). One re-wrapper per sealed column of
 * vault/sealed-columns.ts, typed by that list, so a column added there without one does not build.
 *
 * Each re-wrapper is online and resumable (compare-and-set per row, one unit of work per batch or
 * row, audited), and never touches a ciphertext: nodes, which hold the old KEK decrypt-only during
 * the rotation, read every value before, during and after. Afterwards the census of every sealed
 * column says what is left under another KEK: only when nothing is may the old KEK go.
 */
import type { Actor } from '../core/actor.js';
import type { GatewayConfig } from '../config/schema.js';
import { resealCredentialTokens } from '../credentials/reseal-tokens.js';
import { KeyTokenSealer } from '../credentials/token-sealer.js';
import { KeyEncryption } from '../oauth/key-encryption.js';
import { resealSigningKeys } from '../oauth/reseal-signing-keys.js';
import { SecretKeySealer, VaultKeySealer } from '../oauth/signing-key-sealer.js';
import type { Logger } from '../observability/logger.js';
import { SigningKeyRepository } from '../store/oauth-repositories.js';
import type { Store } from '../store/store.js';
import { UpstreamCredentialRepository } from '../store/upstream-credentials.js';
import type { KekRing } from '../vault/kek.js';
import { rotateKek } from '../vault/rotate-kek.js';
import { notWrappedBy, sealedCensus, type SealedColumn } from '../vault/sealed-columns.js';
import { SecretRepository } from '../vault/secret-repository.js';
import { Vault } from '../vault/vault.js';

export interface ColumnRotation {
  /** Data keys re-wrapped from a previous KEK to the current one. */
  readonly rewrapped: number;
  /** Values sealed by a key from before the vault, now sealed by the vault. */
  readonly resealed: number;
  /** Values still not wrapped by the current KEK afterwards (census). */
  readonly remaining: number;
}

export interface KekRotationResult {
  readonly kekId: string;
  readonly columns: Record<SealedColumn, ColumnRotation>;
  /** True when every sealed value is wrapped by the current KEK: the previous KEKs may go. */
  readonly done: boolean;
}

type Rewrapper = () => Promise<{ rewrapped: number; resealed: number }>;

export async function rotateEveryKek(
  config: Pick<GatewayConfig, 'credentials' | 'oauth'>,
  deps: { store: Store; ring: KekRing; logger: Logger },
  actor: Actor,
  options: { batchSize?: number } = {},
): Promise<KekRotationResult> {
  const { store, ring, logger } = deps;
  const secrets = new SecretRepository(store.db);
  const vault = new Vault(secrets, ring, logger);
  const tokenKey = config.credentials.tokenEncryptionKey?.reveal();
  const signingKeySecret = config.oauth?.signingKeySecret?.reveal();
  const rewrappers: Record<SealedColumn, Rewrapper> = {
    secret_versions: async () => ({ rewrapped: (await rotateKek({ store, repository: secrets, ring, logger }, actor, options)).rewrapped, resealed: 0 }),
    upstream_credential_tokens: async () => {
      const legacy = tokenKey ? new KeyTokenSealer(tokenKey) : undefined;
      const result = await resealCredentialTokens({ store, repository: new UpstreamCredentialRepository(store.db), vault, legacy, logger }, actor);
      return { rewrapped: result.rewrapped, resealed: result.resealed };
    },
    oauth_signing_keys: async () => {
      const legacy = signingKeySecret ? new SecretKeySealer(new KeyEncryption(signingKeySecret)) : undefined;
      const result = await resealSigningKeys({ store, repository: new SigningKeyRepository(store.db), sealer: new VaultKeySealer(vault, legacy), logger }, actor);
      return { rewrapped: result.rewrapped, resealed: result.sealed };
    },
  };
  const done: Partial<Record<SealedColumn, { rewrapped: number; resealed: number }>> = {};
  for (const [name, rewrap] of Object.entries(rewrappers) as Array<[SealedColumn, Rewrapper]>) done[name] = await rewrap();

  const left = notWrappedBy(await sealedCensus(store.db), ring.current.id);
  const columns = Object.fromEntries(Object.entries(done).map(([name, counts]) => [name, { ...counts, remaining: left[name as SealedColumn] }])) as Record<SealedColumn, ColumnRotation>;
  const remaining = Object.values(left).reduce((sum, n) => sum + n, 0);
  const fields = { kekId: ring.current.id, ...Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, c])) };
  if (remaining === 0) logger.info({ event: 'vault.kek_rotated', ...fields }, 'every sealed value is wrapped by the current KEK: previous KEKs may now be removed from vault.previousKeks');
  else logger.warn({ event: 'vault.kek_rotation_incomplete', remaining, ...fields }, 'some sealed values are not wrapped by the current KEK (see the log lines before): keep the previous KEKs and run rotate-kek again');
  return { kekId: ring.current.id, columns, done: remaining === 0 };
}
