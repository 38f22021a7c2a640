/**
 * The response headers that tell clients an API is going away (issue 24 §3):
 * - `Deprecation` (RFC 9745 §2): a Structured Field Date (RFC 9651 §3.3.7), `@` and the epoch
 *   seconds, e.g. `Deprecation: @1780272000`; a date in the future announces the deprecation;
 * - `Sunset` (RFC 8594 §3): an HTTP-date (RFC 9110 §5.6.7), when the resource will stop answering;
 * - `Link` (RFC 8288) with rel="deprecation" (RFC 9745 §3), rel="sunset" (RFC 8594 §6) to a page
 *   about them, and rel="successor-version" (RFC 5829) to what replaces the route.
 */

/** A lifecycle date as written in the config (YYYY-MM-DD is midnight UTC), in epoch ms; undefined if it is not a real date. */
export function parseLifecycleDate(text: string): number | undefined {
  const day = text.slice(0, 10);
  const midnight = Date.parse(`${day}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March: a day that does not read back is a typo.
  if (!Number.isFinite(midnight) || new Date(midnight).toISOString().slice(0, 10) !== day) return undefined;
  const ms = text.length === 10 ? midnight : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** RFC 9745 §2.1: `@` + whole seconds since the epoch (RFC 9651 Date). */
export function deprecationValue(ms: number): string {
  return `@${Math.floor(ms / 1000)}`;
}

/** RFC 9110 §5.6.7 IMF-fixdate, as RFC 8594 §3 requires for Sunset. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** One Link value (RFC 8288 §3): `<uri>; rel="name"`. */
export function linkValue(uri: string, rel: string): string {
  return `<${uri}>; rel="${rel}"`;
}

export interface RouteLifecycle {
  /** Epoch ms of the deprecation (may be in the future). */
  readonly deprecatedAt: number | undefined;
  /** Epoch ms from which the route answers 410. */
  readonly sunsetAt: number | undefined;
  readonly successor: string | undefined;
  readonly deprecationLink: string | undefined;
}

/** The headers every response of a route with this lifecycle carries (before its sunset). */
export function lifecycleHeaders(lifecycle: RouteLifecycle): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const links: string[] = [];
  const about = lifecycle.deprecationLink;
  if (lifecycle.deprecatedAt !== undefined) {
    headers.deprecation = deprecationValue(lifecycle.deprecatedAt);
    if (about) links.push(linkValue(about, 'deprecation'));
  }
  if (lifecycle.sunsetAt !== undefined) {
    headers.sunset = httpDate(lifecycle.sunsetAt);
    if (about) links.push(linkValue(about, 'sunset'));
  }
  if (lifecycle.successor && (lifecycle.deprecatedAt !== undefined || lifecycle.sunsetAt !== undefined)) links.push(linkValue(lifecycle.successor, 'successor-version'));
  if (links.length > 0) headers.link = links;
  return headers;
}
