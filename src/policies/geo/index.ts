/**
 * Geo-enrichment and country rules. Looks the client IP (resolved through trusted proxies only) up
 * in the geo database, puts the result on the request context and the access log, sends the chosen
 * X-Geo-* headers upstream (always set or cleared: a client can never send its own), and refuses
 * countries by allow or deny list. The problem never says which rule matched.
 */
import { Type } from '@sinclair/typebox';
import type { GeoInfo } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';

const FIELDS = ['country', 'continent', 'eu', 'currency', 'region', 'city', 'asn', 'org'] as const;
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
  ownedUpstreamHeaders: FIELDS.map(headerName),
  configSchema,
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.allowCountries.length > 0 && config.denyCountries.length > 0) {
      issues.push({ path: 'denyCountries', message: 'use allowCountries or denyCountries, not both' });
    }
    return issues;
  },
  create(config, deps) {
    const database = deps.services.geo;
    if (!database) throw new Error('the geo policy needs the geo database (opened when the policy is configured)');
    const allow = config.allowCountries.length > 0 ? new Set(config.allowCountries) : undefined;
    const deny = new Set(config.denyCountries);
    const headers = config.headers.map((field) => [field, headerName(field)] as const);
    const refuse = () => new GatewayError('geo.country_blocked', { detail: 'Requests from this location are not accepted.' });
    return {
      receive: function locateClient(ctx) {
        const found = database.lookup(ctx.clientIp);
        ctx.geo = found;
        const country = found.country;
        if (country === undefined && config.denyUnknown) throw refuse();
        if (allow && (country === undefined || !allow.has(country))) throw refuse();
        if (country !== undefined && deny.has(country)) throw refuse();
      },
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
