/**
 * The built-in detectors: values that are personal or secret whatever field they sit in (issue 20
 * §3). Each is a shape (a regular expression that finds candidates in any text) and a check that
 * confirms a candidate (a checksum where the scheme has one), so numbers that merely look alike are
 * left alone. The detectors serve field redaction in bodies (policies/fields) and the masking of
 * log lines (observability/). A value inside a UUID is never one of these (scan.ts): it is an
 * identifier whose hex groups can spell a Luhn-valid run by chance.
 */
import { isValidIBAN } from 'ibantools';
import { isValidPhoneNumber } from 'libphonenumber-js/min';
import { bsnValid, luhnValid, spanishIdValid } from './checksums.js';

export const DETECTOR_NAMES = ['card', 'iban', 'email', 'phone', 'national-id', 'jwt', 'api-key'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export interface Detector {
  readonly name: DetectorName;
  /** Regular-expression source of a candidate; boundaries are part of it (no flags, no capture groups). */
  readonly shape: string;
  /** Confirms a candidate the shape found. */
  readonly confirm: (candidate: string) => boolean;
  /**
   * A cheap test every text holding such a value passes (a character or literal the shape needs):
   * text that fails it is not scanned with the shape, which matters on the log path.
   */
  readonly hint: (text: string) => boolean;
}

const includesAny = (text: string, needles: readonly string[]) => needles.some((needle) => text.includes(needle));
const KEY_PREFIXES = ['_live_', '_test_', 'AKIA', 'ASIA', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'xox', 'AIza', 'glpat-'];

/** Characters that may not touch a token on either side (the token would be part of a longer word). */
const WORD = 'A-Za-z0-9_';

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  // JWS/JWE compact serialisation (RFC 7515 §7.1): base64url of a JSON header, `{"` encodes as eyJ.
  jwt: { name: 'jwt', shape: `(?<![${WORD}-])eyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*`, confirm: () => true, hint: (text) => text.includes('eyJ') },
  // Keys with a published prefix: this gateway's own (keys/api-key-format.ts), Stripe, AWS access
  // key ids, GitHub, Slack, Google, GitLab.
  'api-key': {
    name: 'api-key',
    shape:
      `(?<![${WORD}])(?:[a-z]{2,8}_(?:live|test)_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}|[sr]k_(?:live|test)_[0-9A-Za-z]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16}` +
      `|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})(?![${WORD}])`,
    confirm: () => true,
    hint: (text) => includesAny(text, KEY_PREFIXES),
  },
  // RFC 5322 addr-spec in its common dot-atom form; `%40` is `@` percent-encoded in a query string.
  email: {
    name: 'email',
    shape: "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+'-]{1,64}(?:@|%40)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}(?![A-Za-z0-9-])",
    confirm: (candidate) => candidate.length <= 254,
    hint: (text) => text.includes('@') || text.includes('%40'),
  },
  // ISO 13616: country, two check digits, BBAN; electronic form or printed in groups of four.
  iban: {
    name: 'iban',
    shape: '(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])',
    confirm: (candidate) => isValidIBAN(candidate.replace(/ /g, '')),
    hint: (text) => /[A-Z]{2}[0-9]{2}/.test(text),
  },
  // ISO/IEC 7812 primary account numbers: 13 to 19 digits (spaces or dashes between), Luhn-valid.
  // Not touching a letter either: digits glued to letters are part of a hex token (a trace id, a
  // hash), where one run in ten passes Luhn by chance.
  card: {
    name: 'card',
    shape: `(?<![${WORD}])[0-9](?:[ -]?[0-9]){12,18}(?![${WORD}])`,
    confirm: (candidate) => {
      const digits = candidate.replace(/[ -]/g, '');
      return !/^(\d)\1*$/.test(digits) && luhnValid(digits);
    },
    hint: (text) => /[0-9](?:[ -]?[0-9]){12}/.test(text),
  },
  // E.164 numbers written internationally (+ or %2B, then the country code): without a country to
  // assume, a national number is indistinguishable from any other number. Confirmed by
  // libphonenumber's metadata (a valid number plan and length).
  phone: {
    name: 'phone',
    shape: '(?<![A-Za-z0-9+])(?:\\+|%2B)[1-9][0-9 ().-]{5,20}[0-9](?![0-9])',
    confirm: (candidate) => isValidPhoneNumber(candidate.replace(/^%2B/, '+')),
    hint: (text) => text.includes('+') || text.includes('%2B'),
  },
  // National identifiers whose check digit is public: the Dutch BSN (elfproef) and the Spanish
  // DNI/NIE (mod-23 letter).
  'national-id': {
    name: 'national-id',
    shape: '(?<![A-Za-z0-9])(?:[0-9]{9}|[XYZ0-9][0-9]{7}[A-Z])(?![A-Za-z0-9])',
    confirm: (candidate) => (/^[0-9]{9}$/.test(candidate) ? bsnValid(candidate) : spanishIdValid(candidate)),
    hint: (text) => /[0-9]{7}/.test(text),
  },
};
