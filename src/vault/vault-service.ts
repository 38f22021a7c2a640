/**
 * What an operator does with the vault (admin API and CLI): set a value (a new version, promoted
 * at once or staged), list secrets and versions (metadata only: never a value), promote a
 * version, delete, and reveal (the one way a value leaves, audited). Every write is a unit of
 * work with the operator as actor; the value is encrypted inside it, bound to the version number
 * the transaction gives it.
 */
import type { Actor } from '../core/actor.js';
import type { Logger } from '../observability/logger.js';
import { NotFoundError, type PageRequest } from '../store/repositories.js';
import { lockRevision, type Store, type WriteTx } from '../store/store.js';
import { open, seal } from './envelope.js';
import type { KekRing } from './kek.js';
import { isSecretName } from './secret-name.js';
import { versionBinding, type SecretRecord, type SecretRepository, type VersionRecord } from './secret-repository.js';

/** The largest value accepted: PEM chains and JSON key files fit; a database dump does not belong here. */
export const MAX_SECRET_BYTES = 64 * 1024;

export class VaultService {
  constructor(
    private readonly store: Store,
    private readonly repository: SecretRepository,
    private readonly ring: KekRing,
    private readonly logger: Logger,
  ) {}

  /** Stores `value` as the next version of `name` (created if new); promoted unless `stage`. */
  async set(actor: Actor, name: string, value: Buffer, options: { stage?: boolean; description?: string } = {}): Promise<{ secret: SecretRecord; version: number }> {
    if (!isSecretName(name)) throw new VaultInputError(`"${name}" is not a secret name: a letter, then letters, digits, _ and -, at most 64`);
    if (value.length === 0) throw new VaultInputError('the value is empty');
    if (value.length > MAX_SECRET_BYTES) throw new VaultInputError(`the value is larger than ${MAX_SECRET_BYTES} bytes`);
    const version = await this.store.write(actor, 'secret.set', async (tx) => {
      // Under the writers' lock: two operators setting the same secret get two versions, not one number twice.
      await lockRevision(tx);
      const { id, created } = await this.repository.ensure(tx, name, options.description);
      const next = await this.repository.nextVersion(tx, id);
      const envelope = await seal(this.ring, value, versionBinding(id, next));
      // The first version is promoted even when staged: a secret with nothing to read helps nobody.
      await this.repository.insertVersion(tx, id, next, envelope, created || options.stage !== true);
      return next;
    });
    return { secret: (await this.repository.findByName(name))!, version };
  }

  list(page: PageRequest): Promise<SecretRecord[]> {
    return this.repository.page(page);
  }

  async show(name: string): Promise<SecretRecord> {
    const secret = await this.repository.findByName(name);
    if (!secret) throw new NotFoundError('secret', name);
    return secret;
  }

  async versions(name: string): Promise<{ secret: SecretRecord; versions: VersionRecord[] }> {
    const secret = await this.show(name);
    return { secret, versions: await this.repository.versions(secret.id) };
  }

  promote(actor: Actor, name: string, version: number): Promise<SecretRecord> {
    return this.store.write(actor, 'secret.promote', (tx) => this.repository.promote(tx, name, version));
  }

  /**
   * Deletes `name` (every version), or one version of it (never the promoted one). A whole secret
   * that `guard.references` finds named somewhere (the running config, upstream credentials) is
   * kept, SecretInUseError listing where, unless `guard.force`; a forced deletion records those
   * references in its change and audit record. The references are read inside the unit of work,
   * under the writers' lock, so a credential naming the secret cannot be created in between.
   */
  delete(actor: Actor, name: string, version?: number, guard?: { force: boolean; references(tx: WriteTx): Promise<readonly string[]> }): Promise<void> {
    return this.store.write(actor, 'secret.delete', async (tx) => {
      let forced: readonly string[] = [];
      if (version === undefined && guard) {
        await lockRevision(tx);
        const references = await guard.references(tx);
        if (references.length > 0 && !guard.force) throw new SecretInUseError(name, references);
        forced = references;
      }
      await this.repository.delete(tx, name, version, forced.length > 0 ? { forcedReferences: forced } : {});
    });
  }

  /**
   * The value of `name` (its promoted version, or `version`), read from the store and decrypted
   * now. Logged and audited before the value is returned: a reveal that cannot be recorded fails.
   */
  async reveal(actor: Actor, name: string, version?: number): Promise<{ name: string; version: number; value: string }> {
    const secret = await this.show(name);
    const wanted = version ?? secret.currentVersion;
    if (wanted === null) throw new NotFoundError('promoted version of secret', name);
    const sealed = await this.repository.sealedVersion(secret.id, wanted);
    if (!sealed) throw new NotFoundError(`version ${wanted} of secret`, name);
    const value = (await open(this.ring, sealed.envelope, versionBinding(sealed.secretId, sealed.version))).toString('utf8');
    // The audit record commits before the value leaves: a reveal that cannot be recorded fails.
    await this.store.audit(actor, 'secret.revealed', { kind: 'secret', id: secret.id }, { detail: { name, version: wanted } });
    this.logger.warn({ event: 'vault.secret_revealed', actor: `${actor.kind}:${actor.id}`, secret: name, version: wanted }, 'a secret value was revealed');
    return { name, version: wanted, value };
  }
}

export class VaultInputError extends Error {}

/** A secret still named somewhere (config paths, upstream credentials' settings): not deleted without force. */
export class SecretInUseError extends Error {
  override readonly name = 'SecretInUseError';
  constructor(
    readonly secret: string,
    readonly references: readonly string[],
  ) {
    super(`secret ${secret} is referenced at ${references.join(', ')}`);
  }
}
