/**
 * The one consumer directory of a node: every consumer's name and status, in memory, kept by the
 * change follower. API key authentication, the built-in OAuth server's tokens and clients, and mTLS
 * all ask this one map, so a disabled consumer is refused by every one of them from the same tick
 * (issue 15 §4: two copies used to disagree for up to a poll interval).
 */
import type { ConsumerDirectory as ConsumerLookup } from '../core/services.js';
import type { ChangeSet } from './change-feed.js';
import type { Install, Projection } from './change-follower.js';
import type { Consumer, ConsumerRepository } from './repositories.js';

export interface DirectoryConsumer {
  readonly name: string;
  readonly active: boolean;
  /**
   * The consumer's `metadata.apiKeys` section as stored (its key-age policy, read with
   * keys/key-age-policy.ts by the key_age alert rule): absent when the metadata has none.
   */
  readonly apiKeys?: unknown;
}

export class ConsumerDirectory implements ConsumerLookup, Projection {
  readonly name = 'consumers';
  readonly entities = ['consumer'] as const;
  #consumers = new Map<string, DirectoryConsumer>();

  constructor(private readonly repository: ConsumerRepository) {}

  get size(): number {
    return this.#consumers.size;
  }

  consumer(id: string): DirectoryConsumer | undefined {
    return this.#consumers.get(id);
  }

  async loadSnapshot(): Promise<Install> {
    const all = new Map((await this.repository.list()).map((consumer) => [consumer.id, entry(consumer)]));
    return () => {
      this.#consumers = all;
    };
  }

  async apply(changed: ChangeSet): Promise<Install> {
    const found = await this.repository.listByIds(changed.consumer);
    return () => {
      for (const consumer of found) this.#consumers.set(consumer.id, entry(consumer));
    };
  }
}

function entry(consumer: Consumer): DirectoryConsumer {
  const apiKeys = consumer.metadata.apiKeys;
  return apiKeys === undefined ? { name: consumer.name, active: consumer.status === 'active' } : { name: consumer.name, active: consumer.status === 'active', apiKeys };
}
