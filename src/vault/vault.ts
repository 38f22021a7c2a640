/**
 * The vault of a node: the read API the rest of the gateway uses, and a projection of the change
 * follower (store/change-follower.ts) that holds every secret's promoted version decrypted in
 * memory, so a read costs no query and no decryption, and a version promoted on any node reaches
 * this one with the follower (NOTIFY or a nudge, at worst its poll: within a second).
 *
 * - `read(name)`: the current promoted version, as a SecretValue.
 * - `onChange(listener)`: told the names whose promoted value changed (or went), after install.
 * - `sealValue` / `openValue`: envelope encryption for values other modules store in columns of
 *   their own (outbound OAuth tokens), bound to the caller's AAD.
 * - as a SecretLookup (core/secret-lookup.ts): what `${secret:NAME}` references are bound to.
 *
 * A version that does not decrypt (a row swapped in the database, a KEK this node lacks) is never
 * served: it is logged, and the value this node held before (if any) keeps serving.
 */
import type { SecretLookup } from '../core/secret-lookup.js';
import { SecretValue } from '../core/secret-value.js';
import type { Logger } from '../observability/logger.js';
import type { Install, Projection } from '../store/change-follower.js';
import type { ChangeSet } from '../store/change-feed.js';
import { isPackedEnvelope, open, packEnvelope, rewrap, seal, unpackEnvelope } from './envelope.js';
import type { KekRing } from './kek.js';
import { versionBinding, type SealedVersion, type SecretRepository } from './secret-repository.js';

interface Held {
  readonly id: string;
  readonly version: number;
  readonly value: string;
}

export type ChangeListener = (names: readonly string[]) => void;

export class Vault implements Projection, SecretLookup {
  readonly name = 'vault';
  readonly entities = ['secret'] as const;
  #byName = new Map<string, Held>();
  /** Secrets whose promoted version did not decrypt here: name → why. */
  #unreadable = new Map<string, string>();
  readonly #listeners = new Set<ChangeListener>();

  constructor(
    private readonly repository: SecretRepository,
    readonly ring: KekRing,
    private readonly logger: Logger,
  ) {}

  /** How many secrets this node holds decrypted. */
  get size(): number {
    return this.#byName.size;
  }

  /** The promoted version of `name`; rejects (naming no value) when there is none or it cannot be decrypted here. */
  async read(name: string): Promise<SecretValue> {
    const why = this.unavailable(name);
    if (why !== undefined) throw new VaultReadError(`secret ${name}: ${why}`);
    return new SecretValue(this.#byName.get(name)!.value, `secret:${name}`);
  }

  /** The version number `read(name)` gives now, or undefined. */
  versionOf(name: string): number | undefined {
    return this.#byName.get(name)?.version;
  }

  unavailable(name: string): string | undefined {
    if (this.#byName.has(name)) return undefined;
    return this.#unreadable.get(name) ?? 'the vault has no secret of that name with a promoted version';
  }

  current(name: string): string {
    const held = this.#byName.get(name);
    if (!held) throw new VaultReadError(`secret ${name}: ${this.unavailable(name)}`);
    return held.value;
  }

  /** Calls `listener` with the names whose promoted value changed, once installed; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Envelope-encrypts `plaintext`, bound to `aad` (what the caller's record is: `table:id:field`). */
  async sealValue(plaintext: string | Buffer, aad: string): Promise<string> {
    return packEnvelope(await seal(this.ring, typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext, `sealed|${aad}`));
  }

  /** Opens what sealValue made with the same `aad`; throws VaultIntegrityError on any other. */
  async openValue(sealed: string, aad: string, reference = 'sealed value'): Promise<SecretValue> {
    const plaintext = await open(this.ring, unpackEnvelope(sealed), `sealed|${aad}`);
    return new SecretValue(plaintext.toString('utf8'), reference);
  }

  /** `sealed` with its data key wrapped by the current KEK (as is if it already is): for KEK rotation. */
  async rewrapValue(sealed: string, aad: string): Promise<string> {
    return packEnvelope(await rewrap(this.ring, unpackEnvelope(sealed), `sealed|${aad}`));
  }

  /** Whether `text` is a sealed value (and not, say, a legacy format to migrate). */
  isSealed(text: string): boolean {
    return isPackedEnvelope(text);
  }

  /** Decrypts one stored version (reveal, a fresh read bypassing the in-memory view). */
  async decrypt(sealed: SealedVersion): Promise<string> {
    return (await open(this.ring, sealed.envelope, versionBinding(sealed.secretId, sealed.version))).toString('utf8');
  }

  async loadSnapshot(): Promise<Install> {
    const opened = await this.#openAll(await this.repository.promoted());
    return () => {
      const before = this.#byName;
      this.#byName = new Map();
      this.#unreadable = new Map();
      for (const item of opened) this.#put(item, before.get(item.sealed.name));
      this.#tell([...new Set([...before.keys(), ...this.#byName.keys()])].filter((name) => before.get(name)?.value !== this.#byName.get(name)?.value));
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const ids = changed.secret;
    const opened = await this.#openAll(await this.repository.promoted(ids));
    return () => {
      const names = new Set<string>();
      // Every changed id is taken out, then what is promoted now put back: a deleted secret (or
      // one renamed, or left with no promoted version) is gone.
      for (const [name, held] of this.#byName) if (ids.includes(held.id)) names.add(name);
      const before = new Map([...names].map((name) => [name, this.#byName.get(name)!]));
      for (const name of names) this.#byName.delete(name);
      for (const item of opened) {
        names.add(item.sealed.name);
        this.#unreadable.delete(item.sealed.name);
        this.#put(item, before.get(item.sealed.name));
      }
      this.#tell([...names].filter((name) => before.get(name)?.value !== this.#byName.get(name)?.value || before.get(name)?.version !== this.#byName.get(name)?.version));
    };
  }

  #put(item: { sealed: SealedVersion; value?: string; error?: string }, before: Held | undefined): void {
    const { sealed } = item;
    if (item.value !== undefined) {
      this.#byName.set(sealed.name, { id: sealed.secretId, version: sealed.version, value: item.value });
      return;
    }
    this.logger.error(
      { event: 'vault.secret_unreadable', secret: sealed.name, version: sealed.version, kekId: sealed.envelope.kekId, reason: item.error, keptVersion: before?.version ?? null },
      'a secret version cannot be decrypted on this node: it is not served (a row moved or altered in the database, or a KEK this node does not have)',
    );
    // What this node held before keeps serving: a tampered row must not turn into an outage.
    if (before && before.id === sealed.secretId) this.#byName.set(sealed.name, before);
    else this.#unreadable.set(sealed.name, `its promoted version ${sealed.version} cannot be decrypted on this node (see vault.secret_unreadable)`);
  }

  async #openAll(rows: readonly SealedVersion[]): Promise<Array<{ sealed: SealedVersion; value?: string; error?: string }>> {
    return Promise.all(
      rows.map(async (sealed) => {
        try {
          return { sealed, value: await this.decrypt(sealed) };
        } catch (error) {
          return { sealed, error: (error as Error).message };
        }
      }),
    );
  }

  #tell(names: readonly string[]): void {
    if (names.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(names);
      } catch (error) {
        this.logger.error({ event: 'store.listener_failed', err: error }, 'a vault change listener threw');
      }
    }
  }
}

/** A read the vault cannot answer; its message names the secret, never a value. */
export class VaultReadError extends Error {
  override readonly name = 'VaultReadError';
}
