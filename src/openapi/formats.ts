/**
 * The string and number formats the gateway checks, each as its RFC defines it. ajv-formats in its
 * "full" mode (the strict one) supplies most of them; where even that mode is laxer than the RFC the
 * format cites, the format is replaced here (issue 12 §2):
 * - `date-time`: RFC 3339 §5.6 `date-time` only: `T` (or `t`) between date and time, never a space,
 *   and an offset that is `Z` or `±hh:mm` (ajv-formats also takes `+0200` and `+02`).
 * - `time`: RFC 3339 §5.6 `full-time`: an offset is required, as `Z` or `±hh:mm`.
 * - `uuid`: RFC 4122 §3 string form only (ajv-formats also takes a `urn:uuid:` prefix, which an
 *   upstream parsing a UUID would not).
 * - `byte`: RFC 4648 §4 base64 with padding, nothing else (ajv-formats' pattern is multi-line, so
 *   any text ending in a line break passed).
 * - `email`: RFC 5321 §4.5.3.1 length limits on top of ajv-formats' dot-atom check (local part at
 *   most 64 octets, each domain label at most 63, the whole at most 254).
 * - `int32`, `int64`: exact two's-complement ranges, [-2^31, 2^31-1] and [-2^63, 2^63-1]. The number
 *   an integer literal beyond 2^53 becomes is moved to the nearest double on the literal's side (see
 *   numbers.ts), so `value < 2^63` decides int64 exactly for the text the client sent.
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, options: { mode: 'full' }) => Ajv2020;

type StringCheck = (value: string) => boolean;
/** ajv-formats' full-mode check for a format: a RegExp, a function, or `{ validate }`. */
function fullCheck(name: 'date-time' | 'time' | 'email'): StringCheck {
  const format = fullFormats[name] as unknown;
  if (format instanceof RegExp) return (value) => format.test(value);
  if (typeof format === 'function') return format as StringCheck;
  return (format as { validate: StringCheck }).validate;
}

/** RFC 3339 §5.6: full-date "T" full-time, time-offset = "Z" / ("+" / "-") time-hour ":" time-minute. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const FULL_TIME = /^\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
/** RFC 4122 §3: 8-4-4-4-12 hexadecimal digits. */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** RFC 4648 §4: groups of four from the base64 alphabet, the last one padded with `=`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const dateTime = fullCheck('date-time');
const fullTime = fullCheck('time');
const email = fullCheck('email');

const TWO_POW_63 = 2 ** 63;

export const STRICT_FORMATS = {
  'date-time': (value: string) => DATE_TIME.test(value) && dateTime(value),
  time: (value: string) => FULL_TIME.test(value) && fullTime(value),
  uuid: (value: string) => UUID.test(value),
  byte: (value: string) => BASE64.test(value),
  email(value: string): boolean {
    const at = value.lastIndexOf('@');
    if (at < 1 || at > 64 || value.length > 254) return false;
    if (value.slice(at + 1).split('.').some((label) => label.length > 63)) return false;
    return email(value);
  },
  int32: (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value <= 2 ** 31 - 1,
  // 2^63 - 1 is not a double; `< 2^63` is the exact upper bound for the doubles numbers.ts produces.
  int64: (value: number) => Number.isInteger(value) && value >= -TWO_POW_63 && value < TWO_POW_63,
} as const;

/** Adds every format to an Ajv instance: ajv-formats' full mode, then the strict replacements. */
export function addStrictFormats(ajv: Ajv2020): void {
  addFormats(ajv, { mode: 'full' });
  for (const [name, validate] of Object.entries(STRICT_FORMATS)) {
    const type = name === 'int32' || name === 'int64' ? 'number' : 'string';
    ajv.addFormat(name, { type, validate: validate as (value: never) => boolean } as never);
  }
}
