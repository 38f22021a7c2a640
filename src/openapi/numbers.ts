/**
 * Numbers as text, read exactly (issue 12 §2).
 *
 * Parameters and form fields: a value is a number only if its text is a JSON number (RFC 8259 §6:
 * `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), with nothing around it; an integer
 * where only integers are allowed has neither fraction nor exponent. JavaScript's Number() would
 * also take `0x10`, `0b1`, `+1`, `Infinity`, `''` and any whitespace around the digits, while the
 * upstream receives the text as sent.
 *
 * JSON numbers beyond double precision: `9223372036854775807` and `9223372036854775808` are the
 * same double (2^63), so a check on the double cannot tell the valid int64 from the invalid one.
 * When a literal is not exactly its double and the difference could change an integer check or a
 * bound, the value validated is moved to the neighbouring double on the literal's side
 * (`9223372036854775807` → 2^63 − 1024, `1.0000000000000001` → 1 + 2^-52, which is no integer),
 * so comparisons with integer bounds and the int32/int64 ranges give the answer the exact text
 * would. The upstream still receives the text as sent.
 */

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const JSON_INTEGER = /^-?(?:0|[1-9]\d*)$/;

/** Literals longer than this are not analysed exactly (no double has more significant digits). */
export const MAX_NUMBER_LENGTH = 1000;

/** `text` as a number if it is a JSON number (an integer without fraction or exponent when `integerOnly`), else undefined. */
export function parseStrictNumber(text: string, integerOnly: boolean): number | undefined {
  if (text.length > MAX_NUMBER_LENGTH || !(integerOnly ? JSON_INTEGER : JSON_NUMBER).test(text)) return undefined;
  const value = validatedDouble(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The double to validate for a JSON number literal (already known to be valid JSON): its nearest
 * double, moved one step towards the exact value when the two differ and the double is an integer
 * (the cases where a check on integers or integer bounds could give the wrong answer).
 */
export function validatedDouble(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || !Number.isInteger(value)) return value;
  const plainInteger = !/[.eE]/.test(text);
  if (plainInteger && Number.isSafeInteger(value)) return value;
  const side = compareExact(text, value);
  if (side === 0) return value;
  return side > 0 ? nextUp(value) : nextDown(value);
}

/** Sign of (exact value of the literal − value), for a finite integer `value`. */
function compareExact(text: string, value: number): number {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return 0;
  const negative = match[1] === '-';
  let digits = `${match[2]}${match[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  let exponent = Number(match[4] ?? '0') - (match[3]?.length ?? 0);
  if (/^0+$/.test(digits)) return value === 0 ? 0 : value > 0 ? -1 : 1;
  // Trailing zeros move into the exponent, so a huge exponent on zero digits costs nothing.
  const zeros = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - zeros);
  exponent += zeros;
  // |exact| >= 0.5 here (the double is a non-zero integer, or zero for a tiny literal), so a
  // non-negative exponent is at most ~309 and a negative one at most the digits' length.
  if (value === 0) return negative ? -1 : 1;
  if (exponent > 400 || -exponent > MAX_NUMBER_LENGTH) return negative ? -1 : 1;
  let exact = BigInt(digits);
  let target = BigInt(value);
  if (negative) exact = -exact;
  if (exponent >= 0) exact *= 10n ** BigInt(exponent);
  else target *= 10n ** BigInt(-exponent);
  return exact === target ? 0 : exact > target ? 1 : -1;
}

const buffer = new DataView(new ArrayBuffer(8));

/** The smallest double greater than `value` (finite, non-zero or zero). */
function nextUp(value: number): number {
  if (value === 0) return Number.MIN_VALUE;
  buffer.setFloat64(0, value);
  const bits = buffer.getBigUint64(0);
  buffer.setBigUint64(0, value > 0 ? bits + 1n : bits - 1n);
  return buffer.getFloat64(0);
}

function nextDown(value: number): number {
  return -nextUp(-value);
}
