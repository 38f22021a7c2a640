/**
 * TOTP (RFC 6238) through `otpauth`: a 160-bit seed (RFC 4226 §4 R6 recommends 160 bits), six
 * digits, 30-second steps, SHA-1 (what every authenticator app implements; RFC 6238 §1.2 allows
 * it, the HMAC's key is the secret, so SHA-1's collision weakness does not apply). A code is
 * accepted for the current step or one step either side (§5.2: the network and the user's clock
 * lag); which step matched is returned so the caller can refuse that step and earlier ones again.
 */
import { Secret, TOTP } from 'otpauth';
import { toDataURL } from 'qrcode';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step back or forward (RFC 6238 §5.2 recommends at most one for the delay window). */
const WINDOW = 1;

function totp(seedBase32: string, issuer = 'Portcullis', label = 'admin'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(seedBase32) });
}

/** A new random seed, base32 (what authenticator apps take by hand). */
export function newTotpSeed(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/…` URI of the Key Uri Format authenticator apps scan. */
export function totpUri(seedBase32: string, issuer: string, account: string): string {
  return totp(seedBase32, issuer, account).toString();
}

/** The URI as a QR code in a data: URL (PNG), ready for an <img> in the console. */
export function totpQrDataUrl(uri: string): Promise<string> {
  return toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2 });
}

/** The time step a code is valid for at `nowMs`, or undefined when it matches none in the window. */
export function matchTotpStep(seedBase32: string, code: string, nowMs: number): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const delta = totp(seedBase32).validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return undefined;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp: nowMs }) + delta;
}

/** The code of a step (tests, and the demo printing the first code). */
export function totpCodeAt(seedBase32: string, nowMs: number): string {
  return totp(seedBase32).generate({ timestamp: nowMs });
}
