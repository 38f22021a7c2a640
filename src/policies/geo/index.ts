/**
 * Geo-enrichment and country rules. Looks the client IP (resolved through trusted proxies only) up
 * in the geo database, puts the result on the request context and the access log, sends the chosen
 * X-Geo-* headers upstream (always set or cleared: a client can never send its own), and refuses
 * countries by allow or deny list. The problem never says which rule matched.
 */
import { Type } from '@sinclair/typebox';
import type { GeoInfo, RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { DEFAULT_JSON_LIMITS } from '../../openapi/json-limits.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { isPlainJsonBody } from '../../http/json-body.js';

const FIELDS = ['country', 'continent', 'eu', 'currency', 'region', 'city', 'asn', 'org'] as const;
const MISMATCH_HEADER = 'x-geo-location-mismatch';
type Field = (typeof FIELDS)[number];
const headerName = (field: Field) => `x-geo-${field}`;

const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code, e.g. DE.' });

const configSchema = policyConfig(
  {
    allowCountries: Type.Array(Country, { default: [], description: 'If not empty, only these countries pass (unknown locations do not).' }),
    denyCountries: Type.Array(Country, { default: [], description: 'These countries are refused.' }),
    denyUnknown: Type.Boolean({ default: false, description: 'Refuse clients whose country is not known (private, reserved or unlisted addresses).' }),
    headers: Type.Array(Type.Unsafe<Field>({ type: 'string', enum: [...FIELDS] }), {
      default: ['country', 'continent'],
      description: 'Which X-Geo-* headers to send upstream: country, continent, eu, currency, region, city, asn, org.',
    }),
    residency: Type.Array(
      Type.Object(
        {
          countries: Type.Optional(Type.Array(Country, { description: 'Clients in these countries...' })),
          continents: Type.Optional(Type.Array(Type.Unsafe<string>({ type: 'string', enum: ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] }), { description: '...or on these continents...' })),
          eu: Type.Optional(Type.Boolean({ description: '...or in the EU (true)...' })),
          upstream: Type.String({ description: '...go to this upstream.' }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: "Data residency: the first matching rule picks the upstream; otherwise the route's upstream." },
    ),
    locationCheck: Type.Optional(
      Type.Object(
        {
          header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'Header holding the country the client asserts.' })),
          bodyPointer: Type.Optional(Type.String({ pattern: '^(/([^~]|~[01])*)+$', description: 'JSON pointer (RFC 6901) to the asserted country in a JSON body, e.g. /billing/country.' })),
          mode: Type.Unsafe<'flag' | 'deny'>({ type: 'string', enum: ['flag', 'deny'], default: 'flag', description: 'flag: tell the upstream and the log; deny: 403 geo.location_mismatch.' }),
        },
        { additionalProperties: false, description: 'Compares a country the client asserts with the country of its IP (a fraud signal).' },
      ),
    ),
  },
  'Geo-enrichment and country rules.',
);

function headerValue(geo: GeoInfo, field: Field): string | undefined {
  const value = geo[field];
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // City and organisation names may hold any character; header values may not.
  return field === 'city' || field === 'org' ? encodeURIComponent(String(value)) : String(value);
}

export const geo = definePolicy({
  name: 'geo',
  description: 'Looks up where the client is, tells the upstream, and refuses countries by list.',
  enabledByDefault: false,
  ownedUpstreamHeaders: [...FIELDS.map(headerName), MISMATCH_HEADER],
  configSchema,
  requires: ['geo'],
  upstreamReferences(config) {
    return config.residency.map((rule, index) => ({ path: `residency[${index}].upstream`, upstream: rule.upstream }));
  },
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.allowCountries.length > 0 && config.denyCountries.length > 0) {
      issues.push({ path: 'denyCountries', message: 'use allowCountries or denyCountries, not both' });
    }
    config.residency.forEach((rule, index) => {
      if (!rule.countries && !rule.continents && rule.eu === undefined) issues.push({ path: `residency[${index}]`, message: 'needs countries, continents or eu' });
    });
    const check = config.locationCheck;
    if (check && (check.header === undefined) === (check.bodyPointer === undefined)) {
      issues.push({ path: 'locationCheck', message: 'needs exactly one of header or bodyPointer' });
    }
    return issues;
  },
  create(config, deps) {
    const database = deps.services.geo;
    const allow = config.allowCountries.length > 0 ? new Set(config.allowCountries) : undefined;
    const deny = new Set(config.denyCountries);
    const headers = config.headers.map((field) => [field, headerName(field)] as const);
    const refuse = () => new GatewayError('geo.country_blocked', { detail: 'Requests from this location are not accepted.' });
    const residency = config.residency.map((rule) => ({ upstream: rule.upstream, eu: rule.eu, countries: rule.countries && new Set(rule.countries), continents: rule.continents && new Set(rule.continents) }));
    const locationCheck = config.locationCheck;
    const assertedHeader = locationCheck?.header?.toLowerCase();
    const pointer = locationCheck?.bodyPointer === undefined ? undefined : parsePointer(locationCheck.bodyPointer);

    const denying = locationCheck?.mode === 'deny';
    /** An empty claim is no claim: a check needs both sides. */
    const claim = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim().toUpperCase() : undefined);

    /**
     * The country the client claims: from the header, or from the JSON body (the context's one
     * parse, bounded by the default JSON limits). In deny mode a body we cannot read as plain JSON
     * is refused rather than waved through: an upstream that parses it more leniently (or takes
     * another of two duplicate keys) would act on a claim nobody checked.
     */
    async function assertedCountry(ctx: RequestContext): Promise<string | undefined> {
      if (assertedHeader) return claim(ctx.req.headers[assertedHeader]);
      if (!pointer) return undefined;
      if (!isPlainJsonBody(ctx.req)) {
        if (denying && (await ctx.readBody()).length > 0) {
          throw new GatewayError('request.unsupported_media_type', { detail: 'This route checks the body: send it as unencoded application/json.' });
        }
        return undefined;
      }
      const parsed = await ctx.readJson(DEFAULT_JSON_LIMITS);
      if (parsed === undefined) return undefined;
      if (!parsed.ok) {
        if (denying) throw new GatewayError('request.malformed', { detail: 'The body is not valid JSON.', internal: `${parsed.problem.keyword} at ${parsed.problem.pointer || '/'}` });
        return undefined;
      }
      return claim(resolvePointer(parsed.value, pointer));
    }

    return {
      receive: function locateClient(ctx) {
        const found = database.lookup(ctx.clientIp);
        ctx.geo = found;
        const country = found.country;
        if (country === undefined && config.denyUnknown) throw refuse();
        if (allow && (country === undefined || !allow.has(country))) throw refuse();
        if (country !== undefined && deny.has(country)) throw refuse();
        const rule = residency.find(
          (r) => country !== undefined && ((r.countries?.has(country) ?? false) || (r.continents !== undefined && found.continent !== undefined && r.continents.has(found.continent)) || (r.eu === true && found.eu)),
        );
        if (rule) {
          ctx.upstreamName = rule.upstream;
          ctx.logFields.residencyUpstream = rule.upstream;
        }
      },
      validate: locationCheck
        ? async function checkLocationConsistency(ctx) {
            const observed = ctx.geo?.country;
            const asserted = await assertedCountry(ctx);
            // A signal needs both sides: an unknown IP location or no claim says nothing.
            if (observed === undefined || asserted === undefined || asserted === observed) return;
            ctx.logFields.locationMismatch = { asserted: asserted.slice(0, 8), observed };
            deps.services.metrics?.locationMismatch(ctx.route.name, locationCheck.mode);
            if (locationCheck.mode === 'deny') {
              throw new GatewayError('geo.location_mismatch', { detail: 'The location in the request does not match where it comes from.' });
            }
            ctx.upstreamHeaders[MISMATCH_HEADER] = 'true';
          }
        : undefined,
      transform: function setGeoHeaders(ctx) {
        if (!ctx.geo) return;
        for (const [field, name] of headers) {
          const value = headerValue(ctx.geo, field);
          if (value !== undefined) ctx.upstreamHeaders[name] = value;
        }
      },
    };
  },
});

/** RFC 6901: `/a/b~1c` → ['a', 'b/c']. */
function parsePointer(pointer: string): string[] {
  return pointer.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolvePointer(document: unknown, tokens: readonly string[]): unknown {
  let node = document;
  for (const token of tokens) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
