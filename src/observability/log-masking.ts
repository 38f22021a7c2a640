/**
 * Masking of detected values in log lines (issue 20 §3): a card number, IBAN, e-mail address,
 * phone number, national identifier, API key or JWT that reaches a logged value (a query string,
 * a header, an upstream's error text) is replaced by a label naming what it was,
 * `[REDACTED:card]`, whatever field it is in. Credentials in known places are redacted by name
 * beforehand (logger.ts); this catches the ones in unknown places.
 */
import { DETECTOR_NAMES, type DetectorName } from '../detect/detectors.js';
import { DetectorSet, detectionLabel } from '../detect/scan.js';

/** How deep a logged object is walked; deeper values are logged as a marker, not unmasked. */
const MAX_DEPTH = 8;

export class LogMasker {
  readonly #detectors: DetectorSet;

  /** `names`: the detectors that mask; every built-in one unless the config narrows it. */
  constructor(names: readonly DetectorName[] = DETECTOR_NAMES) {
    this.#detectors = new DetectorSet(names);
  }

  get active(): boolean {
    return this.#detectors.names.length > 0;
  }

  /** Whether `text` (a whole serialised line, say) holds any detected value: the cheap check before masking. */
  holdsDetected(text: string): boolean {
    return this.#detectors.test(text);
  }

  maskString(text: string): string {
    return this.#detectors.replace(text, detectionLabel);
  }

  /**
   * A copy of `value` with every string masked (property names are not: they are the code's, not
   * data). Errors become `{ type, message, stack, code }`, as pino's error serialiser writes them.
   */
  maskValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.maskString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) return '[too deep to log]';
    if (Array.isArray(value)) return value.map((item) => this.maskValue(item, depth + 1));
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return { type: value.name, message: this.maskString(value.message), stack: value.stack === undefined ? undefined : this.maskString(value.stack), ...(code === undefined ? {} : { code }) };
    }
    // Values with their own JSON form (a Date, a SecretValue that prints as a marker) keep it.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) copy[key] = this.maskValue(child, depth + 1);
    return copy;
  }
}
