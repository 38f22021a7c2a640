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

/** One day in epoch milliseconds: key-age policies are whole days. */
export const DAY_MS = 86_400_000;

/** The organisation's key-age settings (`apiKeys.maxAgeDays`, `apiKeys.warnAgeDays`), in days. */
export interface OrganisationKeyAgePolicy {
  readonly maxAgeDays: number;
  readonly warnAgeDays: number;
}

/**
 * Like keyMaxAgeDays, but never throws: a consumer whose stored metadata holds an invalid override
 * (written before the admin API checked it) keeps the organisation's policy. For the request path
 * and sweeps, where one bad row must not stop the others.
 */
export function effectiveKeyMaxAgeDays(metadata: Readonly<Record<string, unknown>> | undefined, organisationDays: number): number {
  if (metadata === undefined) return organisationDays;
  try {
    return keyMaxAgeDays(metadata, organisationDays);
  } catch (error) {
    if (error instanceof KeyAgePolicyError) return organisationDays;
    throw error;
  }
}

/**
 * The warn window, in days: how long before the end of its policy a key is warned about
 * (`maxAgeDays − warnAgeDays`, 15 with the defaults 90 and 75). The window is the same for every
 * consumer, so a consumer with 30-day keys is warned from day 15, not never (issue 24 §5: the
 * warning is relative to the consumer's effective limit). 0 when warnAgeDays equals maxAgeDays.
 */
export function keyWarnWindowDays(organisation: OrganisationKeyAgePolicy): number {
  return Math.max(0, organisation.maxAgeDays - organisation.warnAgeDays);
}

/**
 * The age in days from which a key of this consumer is flagged (`pastWarningAge`, ROTATE): its
 * effective maxAgeDays minus the warn window, at least 0. Equals `apiKeys.warnAgeDays` for a
 * consumer without an override. Never throws (effectiveKeyMaxAgeDays).
 */
export function keyWarnAgeDays(metadata: Readonly<Record<string, unknown>> | undefined, organisation: OrganisationKeyAgePolicy): number {
  return Math.max(0, effectiveKeyMaxAgeDays(metadata, organisation.maxAgeDays) - keyWarnWindowDays(organisation));
}

/** What the key-age policy needs of a key: epoch ms. */
export interface AgedKey {
  readonly createdAt: number;
  /** The key's own expiry (epoch ms), or null for a key made without one. */
  readonly expiresAt: number | null;
}

/**
 * When a key ends, in epoch ms: its own expiry or the end of its consumer's age policy
 * (createdAt + maxAgeDays), whichever is sooner. A key made before a policy was shortened, or
 * without an expiry, ends by the policy.
 */
export function keyPolicyExpiresAt(key: AgedKey, maxAgeDays: number): number {
  const byPolicy = key.createdAt + maxAgeDays * DAY_MS;
  return key.expiresAt === null ? byPolicy : Math.min(key.expiresAt, byPolicy);
}

/** A key's standing under the key-age policy at one instant (all times epoch ms). */
export interface KeyAgeStanding {
  /** The consumer's effective maxAgeDays. */
  readonly maxAgeDays: number;
  /** The consumer's effective warn age in days (keyWarnAgeDays). */
  readonly warnAgeDays: number;
  /** keyPolicyExpiresAt. */
  readonly expiresAt: number;
  /** From when the key is in its warn window: expiresAt minus the warn window. */
  readonly warnFrom: number;
  /** Older than its consumer's warn age: rotate it. */
  readonly pastWarningAge: boolean;
  /** Ends within the warn window (now ≥ warnFrom) but has not ended yet. */
  readonly expiringSoon: boolean;
  /** Past its own expiry or its policy's end. */
  readonly ended: boolean;
}

/**
 * Everything the key-age policy says of one key at `now`: for listings, the response header
 * (`API-Key-Expires`), alert rules and reports, so they agree. Never throws.
 */
export function keyAgeStanding(key: AgedKey, metadata: Readonly<Record<string, unknown>> | undefined, organisation: OrganisationKeyAgePolicy, now: number): KeyAgeStanding {
  const maxAgeDays = effectiveKeyMaxAgeDays(metadata, organisation.maxAgeDays);
  const warnAgeDays = Math.max(0, maxAgeDays - keyWarnWindowDays(organisation));
  const expiresAt = keyPolicyExpiresAt(key, maxAgeDays);
  const warnFrom = expiresAt - keyWarnWindowDays(organisation) * DAY_MS;
  const ended = expiresAt <= now;
  return { maxAgeDays, warnAgeDays, expiresAt, warnFrom, pastWarningAge: !ended && now - key.createdAt > warnAgeDays * DAY_MS, expiringSoon: !ended && now >= warnFrom && keyWarnWindowDays(organisation) > 0, ended };
}

/** The form of a key-age duration: whole days, `30d` (1 to 3650). */
export const DAY_DURATION_PATTERN = '^[1-9][0-9]{0,3}d$';

/**
 * Days in a duration such as `30d` (`keys list --expiring 30d`, `GET /v1/keys?expiring=30d`).
 * Throws KeyAgePolicyError naming the accepted form for anything else (`30`, `1w`, `0d`, `5000d`).
 */
export function parseDayDuration(text: string, name: string): number {
  const days = new RegExp(DAY_DURATION_PATTERN).test(text) ? Number(text.slice(0, -1)) : Number.NaN;
  if (!(days >= 1 && days <= KEY_MAX_AGE_LIMIT_DAYS)) throw new KeyAgePolicyError(`${name} must be a number of days from 1 to ${KEY_MAX_AGE_LIMIT_DAYS} written like 30d, not ${JSON.stringify(text)}`);
  return days;
}
