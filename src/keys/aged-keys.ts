/**
 * API keys past the key-age policy (key-age-policy.ts), per consumer: what the key_age alert rule
 * reports (docs/alerts.md#key_age). Read from the in-memory key index and consumer directory, so an
 * evaluation costs one walk over memory and no store query.
 */
import type { UsableKey } from './key-index.js';
import { KeyAgePolicyError, keyMaxAgeDays } from './key-age-policy.js';

const DAY_MS = 86_400_000;
/** Key ids named per consumer in an alert (the count says how many more). */
export const AGED_KEYS_LISTED = 10;

/** The consumers as the directory holds them: name, status and the stored `metadata.apiKeys`. */
export interface KeyAgeConsumers {
  consumer(id: string): { readonly name: string; readonly active: boolean; readonly apiKeys?: unknown } | undefined;
}

/** One consumer's keys past its policy. Ages in whole days; ids only (never a hash or a secret). */
export interface ConsumerAgedKeys {
  readonly consumerId: string;
  readonly consumerName: string;
  /** The policy that applies: the consumer's override or `apiKeys.maxAgeDays`. */
  readonly maxAgeDays: number;
  /** How many keys are past it. */
  readonly count: number;
  /** The oldest AGED_KEYS_LISTED of them, oldest first. */
  readonly oldest: ReadonlyArray<{ readonly id: string; readonly ageDays: number }>;
}

/**
 * Usable keys (not revoked, expired or replaced: KeyIndex.usableKeys) whose age at `now` (ms) is
 * `maxAgeDays` days or more, grouped by consumer, in consumer id order. Keys of a disabled or
 * unknown consumer authenticate nothing and are left out. A consumer whose stored override is
 * malformed (the admin API refuses such metadata; an older row may hold one) gets the organisation's
 * `organisationDays`.
 */
export function keysPastAge(keys: Iterable<UsableKey>, consumers: KeyAgeConsumers, organisationDays: number, now: number): ConsumerAgedKeys[] {
  const policies = new Map<string, number | null>();
  const byConsumer = new Map<string, Array<{ id: string; createdAt: number }>>();
  for (const key of keys) {
    let days = policies.get(key.consumerId);
    if (days === undefined) {
      const consumer = consumers.consumer(key.consumerId);
      days = consumer?.active ? policyDays(consumer.apiKeys, organisationDays) : null;
      policies.set(key.consumerId, days);
    }
    if (days === null || now - key.createdAt < days * DAY_MS) continue;
    let list = byConsumer.get(key.consumerId);
    if (!list) byConsumer.set(key.consumerId, (list = []));
    list.push({ id: key.id, createdAt: key.createdAt });
  }
  return [...byConsumer]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([consumerId, list]) => ({
      consumerId,
      consumerName: consumers.consumer(consumerId)!.name,
      maxAgeDays: policies.get(consumerId)!,
      count: list.length,
      oldest: list
        .sort((a, b) => a.createdAt - b.createdAt)
        .slice(0, AGED_KEYS_LISTED)
        .map((key) => ({ id: key.id, ageDays: Math.floor((now - key.createdAt) / DAY_MS) })),
    }));
}

function policyDays(apiKeys: unknown, organisationDays: number): number {
  try {
    return keyMaxAgeDays(apiKeys === undefined ? {} : { apiKeys }, organisationDays);
  } catch (error) {
    if (error instanceof KeyAgePolicyError) return organisationDays;
    throw error;
  }
}
