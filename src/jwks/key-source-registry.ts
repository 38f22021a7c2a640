/**
 * One KeySource per distinct issuer key configuration, shared by every route that names it and
 * kept across config reloads (a reload must not refetch every JWKS). Closed with the gateway.
 */
import type { IssuerKeyRegistry, IssuerKeys, IssuerKeysOptions } from '../core/services.js';
import { KeySource, type KeySourceDeps } from './key-source.js';

export class KeySourceRegistry implements IssuerKeyRegistry {
  readonly #sources = new Map<string, KeySource>();

  constructor(private readonly deps: KeySourceDeps) {}

  #builtin: IssuerKeys | undefined;

  /** The built-in authorization server's keys, for issuers configured with `builtin: true`. */
  setBuiltin(keys: IssuerKeys): void {
    this.#builtin = keys;
  }

  keysFor(options: IssuerKeysOptions): IssuerKeys {
    if (options.builtin) {
      if (!this.#builtin) throw new Error('an auth-jwt issuer is builtin but the authorization server (oauth) is not running');
      return this.#builtin;
    }
    const key = JSON.stringify(options);
    let source = this.#sources.get(key);
    if (!source) {
      source = new KeySource(options, this.deps);
      this.#sources.set(key, source);
      // Fetch now, in the background, so the first request does not wait for the provider.
      void source.warmUp();
    }
    return source;
  }

  get size(): number {
    return this.#sources.size;
  }

  close(): void {
    for (const source of this.#sources.values()) source.close();
    this.#sources.clear();
  }
}
