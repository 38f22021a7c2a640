/**
 * A typed per-request state slot (RequestContext.state): a policy passes a value to a later phase,
 * or to another policy, under a key made by defineStateKey<T>(name). The key's type fixes the
 * value's type, so neither side needs `any` or a cast, and two keys never collide even with the
 * same name (keys compare by identity; the name is for debugging). A policy that owns a key
 * exports it (or keeps it private to carry its own state from one phase to another).
 */

declare const valueType: unique symbol;

/** A key for values of type T; make one with defineStateKey. */
export interface StateKey<T> {
  readonly name: string;
  /** Type-level only: ties the key to T. */
  readonly [valueType]?: (value: T) => T;
}

/** A new key for request state holding values of type T. */
export function defineStateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name }) as StateKey<T>;
}

/** The values one request carries by key; created with the request, gone with it. */
export class RequestState {
  /** Made on the first set: most requests carry nothing. */
  #values: Map<StateKey<unknown>, unknown> | undefined;

  get<T>(key: StateKey<T>): T | undefined {
    return this.#values?.get(key as StateKey<unknown>) as T | undefined;
  }

  set<T>(key: StateKey<T>, value: T): void {
    (this.#values ??= new Map()).set(key as StateKey<unknown>, value);
  }

  has<T>(key: StateKey<T>): boolean {
    return this.#values?.has(key as StateKey<unknown>) ?? false;
  }

  delete<T>(key: StateKey<T>): boolean {
    return this.#values?.delete(key as StateKey<unknown>) ?? false;
  }
}
