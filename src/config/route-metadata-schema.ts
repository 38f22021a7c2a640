/**
 * Inventory metadata and lifecycle of a route or of the routes generated from a contract (issue 24
 * §1, §3): who owns it, how it is tagged, which version of the API it is, and when it was
 * deprecated and will be (or was) sunset. The lifecycle dates drive response headers (RFC 9745
 * `Deprecation`, RFC 8594 `Sunset`) and, past the sunset, `410 route.sunset` (server/route-lifecycle.ts).
 */
import { Type } from '@sinclair/typebox';

/** A calendar date (midnight UTC) or an RFC 3339 date-time with its offset. */
/**
 * An absolute http(s) URL or a gateway path, written only with the characters RFC 3986 §2 allows
 * in a URI (percent-encode the rest). Both go into a Link header's `<…>` (RFC 8288 §3): a space,
 * `<`, `>`, `"` or a control character there would break the header or, with a line break, make
 * Node refuse every response of the route.
 */
export const LINK_TARGET = "^(https?://|/)[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%]*$";

export const LIFECYCLE_DATE = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$';

/** The properties shared by `routes[]` and `contractRoutes[]`. */
export const ROUTE_METADATA_PROPERTIES = {
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Who answers for this API (a team, an e-mail address): shown by `portcullis inventory`.' })),
  tags: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,64}$' }), { uniqueItems: true, description: 'Labels for the inventory (payments, pii, partner:acme).' })),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The API version this route belongs to (v1, 2024-06-01); contractRoutes default to the document's info.version." })),
  deprecated: Type.Optional(Type.String({ pattern: LIFECYCLE_DATE, description: 'When the route is (or will be) deprecated: YYYY-MM-DD (midnight UTC) or an RFC 3339 date-time. Every response then carries `Deprecation` (RFC 9745).' })),
  sunset: Type.Optional(Type.String({ pattern: LIFECYCLE_DATE, description: 'When the route stops answering: every response carries `Sunset` (RFC 8594) until then, and from then on the route answers 410 route.sunset.' })),
  successor: Type.Optional(Type.String({ pattern: LINK_TARGET, description: 'URL (or gateway path) of what replaces this route: sent as Link rel="successor-version", and in the 410 after the sunset.' })),
  deprecationLink: Type.Optional(Type.String({ pattern: LINK_TARGET, description: 'URL of a page about the deprecation and sunset: sent as Link rel="deprecation" (RFC 9745 §3) and rel="sunset" (RFC 8594 §6).' })),
};

/** The metadata keys, in the order `portcullis inventory` shows them (copied onto generated routes). */
export const ROUTE_METADATA_KEYS = Object.keys(ROUTE_METADATA_PROPERTIES) as Array<keyof typeof ROUTE_METADATA_PROPERTIES>;
