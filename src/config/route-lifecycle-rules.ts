/**
 * The lifecycle dates of a route (issue 24 §3), checked at load: each must be a real date, and a
 * route cannot be sunset before it is deprecated (RFC 8594 §1: the sunset ends what the
 * deprecation announced). A sunset without a deprecation is allowed: it implies one.
 */
import type { ConfigIssue } from '../core/policy.js';
import { parseLifecycleDate } from '../http/lifecycle-headers.js';

type Loose = Record<string, unknown>;

export function lifecycleIssues(route: Loose, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const dates: Record<string, number | undefined> = {};
  for (const key of ['deprecated', 'sunset'] as const) {
    const value = route[key];
    if (typeof value !== 'string') continue;
    dates[key] = parseLifecycleDate(value);
    if (dates[key] === undefined) issues.push({ path: `${at}.${key}`, message: `"${value}" is not a date (YYYY-MM-DD or an RFC 3339 date-time)` });
  }
  if (dates.deprecated !== undefined && dates.sunset !== undefined && dates.sunset < dates.deprecated) {
    issues.push({ path: `${at}.sunset`, message: 'is before the deprecation date: a route is deprecated first, then sunset' });
  }
  if (route.deprecationLink !== undefined && route.deprecated === undefined && route.sunset === undefined) {
    issues.push({ path: `${at}.deprecationLink`, message: 'applies only with deprecated or sunset' });
  }
  return issues;
}
