/**
 * Check-digit algorithms of the identifiers the detectors recognise: a value of the right shape
 * whose check digit is wrong is not one of them (a typo, or just a number), so it is left alone.
 * Checksums, not cryptography: each is the published algorithm of its scheme.
 */

/** Luhn (ISO/IEC 7812-1 Annex B): the check digit of payment card numbers. `digits` holds only 0-9. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Dutch burgerservicenummer (BSN): nine digits passing the "elfproef" (weights 9…2 and -1, sum a
 * multiple of 11; Logius, "Elfproef BSN"). All zeros passes the sum and is refused.
 */
export function bsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  let sum = 0;
  for (let index = 0; index < 8; index++) sum += (9 - index) * (digits.charCodeAt(index) - 48);
  sum -= digits.charCodeAt(8) - 48;
  return sum % 11 === 0;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/**
 * Spanish DNI (8 digits and a letter) and NIE (X, Y or Z, 7 digits, a letter): the letter is the
 * number mod 23 in the table of Real Decreto 1553/2005 (NIE: X, Y, Z stand for 0, 1, 2).
 */
export function spanishIdValid(value: string): boolean {
  const match = /^([XYZ]|\d)(\d{7})([A-Z])$/.exec(value);
  if (!match) return false;
  const lead = match[1]!;
  const number = Number(`${lead === 'X' ? '0' : lead === 'Y' ? '1' : lead === 'Z' ? '2' : lead}${match[2]}`);
  return DNI_LETTERS[number % 23] === match[3];
}
