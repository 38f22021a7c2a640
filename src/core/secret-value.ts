/**
 * A secret held in memory: it prints as "[secret]" everywhere (logs, JSON, util.inspect, error
 * messages built with template strings), and only `reveal()` gives the value to the code that must
 * send or use it. Config references (`${env:…}`, `${secret:…}`, config/secret.ts) and vault reads
 * (vault/) both hand out SecretValues, so the discipline is the same whichever way a secret came.
 */
import { inspect } from 'node:util';
import type { SecretLookup } from './secret-lookup.js';

export class SecretValue {
  readonly #value: string | (() => string);
  readonly reference: string;

  /** `value`: the secret, or a function returning its current value (a vault secret: it may change, or be gone and throw). */
  constructor(value: string | (() => string), reference: string) {
    this.#value = value;
    this.reference = reference;
  }

  reveal(): string {
    return typeof this.#value === 'function' ? this.#value() : this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return `[secret ${this.reference}]`;
  }

  [inspect.custom](): string {
    return `[secret ${this.reference}]`;
  }
}

/**
 * A `${secret:NAME}` reference in a config. The config is loaded before the vault it names is open
 * (the vault lives in the store the same config describes), so the loader makes the reference and
 * the composition root binds it to the node's vault (server/services.ts at start and before every
 * reload): a name the vault cannot give refuses the start or the reload. Once bound it is *live*:
 * each reveal() reads the vault's current promoted version, so a new version reaches every use
 * through the change follower, without a reload. Unbound, reveal() throws: a reference is never
 * sent anywhere as its literal text.
 */
export class VaultSecretReference extends SecretValue {
  #vault: SecretLookup | undefined;

  constructor(
    readonly secretName: string,
    reference: string,
  ) {
    super(() => {
      if (!this.#vault) throw new Error(`${reference} is not bound to a vault`);
      return this.#vault.current(secretName);
    }, reference);
  }

  get bound(): boolean {
    return this.#vault !== undefined;
  }

  /** Binds to `vault`; says why not (and stays unbound) when the vault cannot give the secret now. */
  bind(vault: SecretLookup): string | undefined {
    const why = vault.unavailable(this.secretName);
    if (why !== undefined) return `${this.reference}: ${why}`;
    this.#vault = vault;
    return undefined;
  }
}
