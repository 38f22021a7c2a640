/**
 * When an upstream credential stops by time (issue 19 §5): its own `expiresAt`, its age past
 * `maxAgeDays` (the organisation default, `credentials.maxAgeDays`, when it sets none), or no use
 * for `disableIfUnusedDays`; and which expiry notice (30/7/1 days by default) is due. Pure: the
 * service applies the verdicts through the store.
 */
import type { UpstreamCredentialRow } from '../store/upstream-credentials.js';

const DAY_MS = 86_400_000;

export interface LifecycleDefaults {
  readonly maxAgeDays: number;
  /** Notice thresholds in days, any order. */
  readonly noticeDays: readonly number[];
}

/** When the credential expires by time (ms since the epoch), and by which rule. */
export function effectiveExpiry(row: Pick<UpstreamCredentialRow, 'expiresAt' | 'maxAgeDays' | 'createdAt'>, defaults: LifecycleDefaults): { at: number; rule: 'expires_at' | 'max_age' } {
  const byAge = row.createdAt + (row.maxAgeDays ?? defaults.maxAgeDays) * DAY_MS;
  return row.expiresAt !== null && row.expiresAt <= byAge ? { at: row.expiresAt, rule: 'expires_at' } : { at: byAge, rule: 'max_age' };
}

export type LifecycleVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'expire'; readonly reason: 'expires_at' | 'max_age' | 'unused' }
  | { readonly kind: 'notice'; readonly thresholdDays: number; readonly expiresAt: number };

/** The verdict for one active or quarantined credential at `now`. */
export function lifecycleVerdict(row: UpstreamCredentialRow, now: number, defaults: LifecycleDefaults): LifecycleVerdict {
  const expiry = effectiveExpiry(row, defaults);
  if (now >= expiry.at) return { kind: 'expire', reason: expiry.rule };
  if (row.disableIfUnusedDays !== null && now - (row.lastUsedAt ?? row.createdAt) >= row.disableIfUnusedDays * DAY_MS) return { kind: 'expire', reason: 'unused' };
  // The smallest threshold already reached: a credential found 5 days before expiry gets the 7-day notice.
  const reached = [...defaults.noticeDays].sort((a, b) => a - b).find((days) => expiry.at - now <= days * DAY_MS);
  return reached === undefined ? { kind: 'none' } : { kind: 'notice', thresholdDays: reached, expiresAt: expiry.at };
}

/** Whether the credential may be used at `now` at all (status and time), and if not, why. */
export function blockedReason(row: UpstreamCredentialRow, now: number, defaults: LifecycleDefaults): string | undefined {
  if (row.status !== 'active') return row.status;
  return now >= effectiveExpiry(row, defaults).at ? 'expired' : undefined;
}

/** Credentials whose expiry falls within `withinMs` of now (`credentials list --expiring 30d`). */
export function expiringWithin(rows: readonly UpstreamCredentialRow[], now: number, withinMs: number, defaults: LifecycleDefaults): UpstreamCredentialRow[] {
  return rows.filter((row) => (row.status === 'active' || row.status === 'quarantined') && effectiveExpiry(row, defaults).at - now <= withinMs);
}
