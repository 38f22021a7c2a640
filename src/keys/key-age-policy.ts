/**
 * The key-age policy in one place: how long an API key of a consumer may live. The organisation's
 * `apiKeys.maxAgeDays` holds unless the consumer's metadata sets `apiKeys.maxAgeDays` (an integer,
 * 1–3650 days), e.g. a partner whose contract asks for 30-day keys. Key creation (the default and
 * the cap of `expiresInDays`) and preflight's PF rule on old keys read it from here, so they agree.
 */

export const KEY_MAX_AGE_LIMIT_DAYS = 3650;

export class KeyAgePolicyError extends Error {}

/**
 * The consumer's override of `apiKeys.maxAgeDays`, or undefined when its metadata sets none.
 * Throws KeyAgePolicyError when `metadata.apiKeys.maxAgeDays` is set but not an integer 1–3650
 * (the admin API refuses such metadata with 400 admin.invalid_request).
 */
export function consumerKeyMaxAgeDays(metadata: Readonly<Record<string, unknown>>): number | undefined {
  const section = metadata.apiKeys;
  if (section === undefined) return undefined;
  if (section === null || typeof section !== 'object' || Array.isArray(section)) throw new KeyAgePolicyError('metadata.apiKeys must be an object');
  const days = (section as Record<string, unknown>).maxAgeDays;
  if (days === undefined) return undefined;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > KEY_MAX_AGE_LIMIT_DAYS) {
    throw new KeyAgePolicyError(`metadata.apiKeys.maxAgeDays must be an integer from 1 to ${KEY_MAX_AGE_LIMIT_DAYS} (days)`);
  }
  return days;
}

/** Days an API key of this consumer may live: its override, else the organisation's `apiKeys.maxAgeDays`. */
export function keyMaxAgeDays(metadata: Readonly<Record<string, unknown>>, organisationDays: number): number {
  return consumerKeyMaxAgeDays(metadata) ?? organisationDays;
}
