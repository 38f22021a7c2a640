/**
 * IP → location, from an MMDB file. By default the openly licensed (CC0) country database that
 * ships in the `@ip-location-db/geo-whois-asn-country-mmdb` package: nothing is downloaded. A
 * commercial GeoIP2/GeoLite2 City or ASN database can be configured instead; then region, city, ASN
 * and organisation are filled in too. The file is loaded once and reloaded when it changes; a
 * replacement that does not parse is refused and logged, and the previous one keeps serving.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { countries } from 'countries-list';
import { Reader, type Response } from 'maxmind';
import type { GeoInfo } from '../core/context.js';
import type { LogEventAt } from '../core/log-events.js';
import type { Logger } from '../observability/logger.js';
import { CidrSet } from '../net/cidr.js';

/**
 * Special-purpose addresses (RFC 6890 and the IANA special-purpose registries: private, loopback,
 * link-local, shared, documentation, benchmarking, IETF protocol assignments, translation and
 * transition prefixes that embed IPv4, multicast, reserved) have no location, whatever a database
 * says: the bundled one, for one, maps parts of 172.16.0.0/12 and 192.168.0.0/16 to a country.
 */
const SPECIAL_PURPOSE = new CidrSet([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8',
]);

const require = createRequire(import.meta.url);
export const BUNDLED_COUNTRY_DATABASE = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

/** EU member states (ISO 3166-1 alpha-2), for data-residency and consent decisions. */
const EU_MEMBERS = new Set(['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE']);

/** How often the file is checked for a replacement. */
const WATCH_INTERVAL_MS = 5000;

/** The record shapes we read: ip-location-db's, and MaxMind's GeoIP2 Country/City/ASN. */
interface MmdbRecord {
  country_code?: string;
  country?: { iso_code?: string };
  continent?: { code?: string };
  subdivisions?: Array<{ iso_code?: string }>;
  city?: { names?: { en?: string } };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

const UNKNOWN: GeoInfo = Object.freeze({ country: undefined, continent: undefined, eu: false, currency: undefined, region: undefined, city: undefined, asn: undefined, org: undefined });

/** Lookups kept per IP (bounded; dropped when full and on every reload). */
const LOOKUP_CACHE_SIZE = 10000;

export class GeoDatabase {
  #reader: Reader<Response>;
  #watching = false;
  readonly #cache = new Map<string, GeoInfo>();

  private constructor(
    reader: Reader<Response>,
    readonly path: string,
    private readonly logger: Logger,
  ) {
    this.#reader = reader;
  }

  static async open(path: string, logger: Logger): Promise<GeoDatabase> {
    const database = new GeoDatabase(await GeoDatabase.#read(path), path, logger);
    database.#logLoaded('geo.database_loaded', 'geo database loaded');
    return database;
  }

  /** Parses the whole file before anything uses it: a truncated or foreign file throws here. */
  static async #read(path: string): Promise<Reader<Response>> {
    return new Reader<Response>(await readFile(path));
  }

  /** Checks the file every few seconds and swaps in a replacement that parses. */
  watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    watchFile(this.path, { interval: WATCH_INTERVAL_MS, persistent: false }, (current, previous) => {
      if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
      GeoDatabase.#read(this.path).then(
        (reader) => {
          this.#reader = reader;
          this.#cache.clear();
          this.#logLoaded('geo.database_reloaded', 'geo database reloaded');
        },
        (error: unknown) => this.logger.error({ event: 'geo.database_reload_failed', path: this.path, err: error }, 'the new geo database file is not usable: the previous one keeps serving'),
      );
    });
  }

  close(): void {
    if (this.#watching) unwatchFile(this.path);
    this.#watching = false;
  }

  #logLoaded(event: LogEventAt<'info'>, message: string): void {
    const metadata = this.#reader.metadata;
    this.logger.info({ event, path: this.path, type: metadata.databaseType, builtAt: new Date(metadata.buildEpoch).toISOString() }, message);
  }

  /** Private, reserved and unlisted addresses have no location: every field is undefined. */
  lookup(ip: string): GeoInfo {
    let found = this.#cache.get(ip);
    if (found === undefined) {
      found = this.#lookupUncached(ip);
      if (this.#cache.size >= LOOKUP_CACHE_SIZE) this.#cache.clear();
      this.#cache.set(ip, found);
    }
    return found;
  }

  #lookupUncached(ip: string): GeoInfo {
    if (SPECIAL_PURPOSE.has(ip)) return UNKNOWN;
    let record: MmdbRecord | null;
    try {
      record = this.#reader.get(ip) as MmdbRecord | null;
    } catch {
      return UNKNOWN; // not an IP address (the client IP always is; this is belt and braces)
    }
    if (!record) return UNKNOWN;
    const country = (record.country_code ?? record.country?.iso_code)?.toUpperCase();
    const facts = country ? (countries as Record<string, { continent: string; currency: string[] } | undefined>)[country] : undefined;
    return Object.freeze({
      country,
      continent: record.continent?.code ?? facts?.continent,
      eu: country !== undefined && EU_MEMBERS.has(country),
      currency: facts?.currency[0],
      region: record.subdivisions?.[0]?.iso_code,
      city: record.city?.names?.en,
      asn: record.autonomous_system_number,
      org: record.autonomous_system_organization,
    });
  }
}
