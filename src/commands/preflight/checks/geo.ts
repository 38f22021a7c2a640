/**
 * The geo database's age, when a route uses the geo policy: an MMDB file records when it was
 * built (its metadata's build epoch); past `geo.maxAgeDays` country rules and geo headers rest on
 * address assignments that have since moved. The bundled database ages with the installed release.
 */
import { readFileSync } from 'node:fs';
import { Reader } from 'maxmind';
import { policyPlaces } from '../../../config/policy-usage.js';
import { BUNDLED_COUNTRY_DATABASE } from '../../../geo/geo-database.js';
import { defineCheck, finding, OWASP } from '../check.js';

const DAY_MS = 86_400_000;

export const geoCheck = defineCheck(
  'geo',
  {
    databaseOld: {
      id: 'PF-GEO-001',
      severity: 'medium',
      title: 'The geo database is older than geo.maxAgeDays (45 by default)',
      why: `${OWASP.API8} (country rules and geo headers follow address assignments that have moved)`,
      fix: 'Install a current database (a newer release of the bundled one, or a current GeoIP2/GeoLite2 file at `geo.databasePath`, which is reloaded when it changes), and refresh it on a schedule.',
    },
  },
  ({ config, clock, secretsResolved }, rules) => {
    const used = policyPlaces(config as unknown as Record<string, unknown>, 'geo');
    if (used.length === 0) return [];
    // A deployment's own file is there only where start runs (as `--no-resolve-secrets` assumes).
    if (config.geo.databasePath !== undefined && !secretsResolved) return [];
    const path = config.geo.databasePath ?? BUNDLED_COUNTRY_DATABASE;
    const builtAt = Number(new Reader(readFileSync(path)).metadata.buildEpoch);
    const ageDays = Math.floor((clock.now() - builtAt) / DAY_MS);
    if (ageDays <= config.geo.maxAgeDays) return [];
    const which = config.geo.databasePath === undefined ? 'the bundled geo database' : `the geo database ${path}`;
    return [finding(rules.databaseOld, `${which} was built on ${new Date(builtAt).toISOString().slice(0, 10)}, ${ageDays} days ago (geo.maxAgeDays: ${config.geo.maxAgeDays}); used at ${used[0]}`, { path: config.geo.databasePath === undefined ? 'geo.maxAgeDays' : 'geo.databasePath' })];
  },
);
