/**
 * JSON logs (pino). Credentials are redacted in every line, access or error alike: the header
 * names below always, plus the ones the config adds. Query values of sensitive parameters are
 * redacted in logged paths by redactPath(). Detected values (cards, IBANs, e-mail addresses, …)
 * are masked wherever they appear (log-masking.ts).
 */
import { pino, type DestinationStream } from 'pino';
import type { EventLogger } from '../core/log-events.js';
import type { DetectorName } from '../detect/detectors.js';
import { LogMasker } from './log-masking.js';
import type { LogEventTap } from './log-tap.js';

/** The gateway's logger: pino, taking only catalogued events at their level (core/log-events.ts). */
export type Logger = EventLogger;

export const ALWAYS_REDACTED_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
export const ALWAYS_REDACTED_QUERY_PARAMS = [
  'access_token', 'api_key', 'apikey', 'client_secret', 'code', 'id_token', 'key', 'password', 'refresh_token', 'secret', 'session', 'sig', 'signature', 'token',
];
export const REDACTED = '[REDACTED]';

export interface LoggerOptions {
  level: string;
  redactHeaders: readonly string[];
  /** Detectors whose values are masked in every line (logging.maskDetected); all of them when absent. */
  maskDetected?: readonly DetectorName[];
  /** Sees every catalogued event logged at an enabled level (the alert engine counts them: log-tap.ts). */
  tap?: LogEventTap | undefined;
}

/** Where header maps can appear in a log line. */
const HEADER_CONTAINERS = ['headers', 'req.headers', 'res.headers', 'upstreamHeaders'];

/** The lower-case names of the headers redacted in log lines: the built-in ones and `extra`. */
export function redactedHeaderNames(extra: readonly string[]): string[] {
  return [...new Set([...ALWAYS_REDACTED_HEADERS, ...extra.map((name) => name.toLowerCase())])];
}

/**
 * A pino logger writing to `destination` (log-destination.ts batches and bounds standard output),
 * with credential headers redacted wherever a header map appears.
 */
export function createLogger(options: LoggerOptions, destination: DestinationStream): Logger {
  const names = redactedHeaderNames(options.redactHeaders);
  const paths = HEADER_CONTAINERS.flatMap((container) => names.map((name) => `${container}[${JSON.stringify(name)}]`));
  const masker = new LogMasker(options.maskDetected);
  const tap = options.tap;
  return pino(
    {
      ...(tap
        ? {
            hooks: {
              logMethod(this: unknown, args: Parameters<pino.LogFn>, method: pino.LogFn) {
                const first = args[0] as unknown;
                if (typeof first === 'object' && first !== null) tap.emit(first as Record<string, unknown>);
                return method.apply(this, args);
              },
            },
          }
        : {}),
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        ...(masker.active ? { log: (record: Record<string, unknown>) => masker.maskValue(record) as Record<string, unknown> } : {}),
      },
    },
    destination,
  );
}

/** Returns the path with the values of sensitive query parameters replaced. */
export function redactPath(path: string, search: string, sensitive: ReadonlySet<string>): string {
  if (search === '' || search === '?') return path + search;
  const pairs = search.slice(1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // A malformed name is logged as it came; only its value could be a secret.
    }
    return eq !== -1 && sensitive.has(decoded.toLowerCase()) ? `${name}=${REDACTED}` : pair;
  });
  return `${path}?${pairs.join('&')}`;
}
