/**
 * The `logging` section of the config: level, redaction of credentials by name, masking of
 * detected values (docs/logging.md, docs/fields.md#masking-in-logs), the log buffer bound.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import { DETECTOR_NAMES } from '../detect/detectors.js';

export const LoggingSchema = Type.Object(
  {
    level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'Lowest level written.' }),
    redactHeaders: Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), { default: [], description: 'Header names redacted in every log line, besides Authorization, Cookie, Set-Cookie, X-API-Key, Proxy-Authorization.' }),
    redactQueryParams: Type.Array(Type.String(), { default: [], description: 'Query parameters whose values are redacted in logged paths, besides the built-in list.' }),
    includeHeaders: Type.Boolean({ default: false, description: 'Add request headers (redacted) to access-log lines.' }),
    maskDetected: Type.Array(StringEnum(DETECTOR_NAMES, { description: 'A built-in detector.' }), {
      default: [...DETECTOR_NAMES],
      uniqueItems: true,
      description: `Values these detectors find are masked in every log line, wherever they appear ([REDACTED:card]); [] turns masking off. Detectors: ${DETECTOR_NAMES.join(', ')}.`,
    }),
    maxBufferBytes: Type.Integer({ minimum: 65536, maximum: 1073741824, default: 8388608, description: 'Log bytes that may wait for a slow log reader; past it lines are dropped and counted (portcullis_log_lines_dropped_total), never queued without bound.' }),
  },
  { additionalProperties: false, default: {}, description: 'JSON logs on standard output.' },
);
