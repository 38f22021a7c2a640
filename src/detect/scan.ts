/**
 * Finding detected values in text and rewriting them: one regular expression per detector set (an
 * alternation of the detectors' shapes, one named group each), so a text is scanned once whatever
 * the number of detectors. A candidate the detector does not confirm is skipped and the scan
 * resumes one character later, so a shorter value inside it is still found. A candidate inside a
 * UUID (RFC 9562 §4, the textual 8-4-4-4-12 hex form) is skipped too: request ids, trace ids and
 * resource ids are UUIDs, and their digit groups, joined by the dashes a card number may have,
 * pass a checksum by chance (one UUID in a few thousand held a "card"); masking it would corrupt
 * the id in a log line or a response body.
 */
import { DETECTORS, type DetectorName } from './detectors.js';

export interface Detection {
  readonly detector: DetectorName;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/** Shorter than this, no detector's shape fits (an e-mail address `a@b.io` is the shortest). */
const MIN_LENGTH = 6;

/** A UUID in its textual form (RFC 9562 §4), as a whole token. */
const UUID = /(?<![A-Za-z0-9])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![A-Za-z0-9])/g;

/** Whether [start, end) of `text` overlaps a UUID. Only asked of confirmed candidates, which are rare. */
function insideUuid(text: string, start: number, end: number): boolean {
  UUID.lastIndex = 0;
  for (let match = UUID.exec(text); match !== null; match = UUID.exec(text)) {
    if (match.index >= end) return false;
    if (match.index + match[0].length > start) return true;
  }
  return false;
}

export class DetectorSet {
  readonly names: readonly DetectorName[];
  /** The alternation of the shapes of the detectors whose hints a text passed, by their bit mask. */
  readonly #patterns = new Map<number, RegExp>();

  constructor(names: readonly DetectorName[]) {
    this.names = [...new Set(names)];
  }

  /** The pattern for the detectors `text` may hold (their hints pass), or undefined for none. */
  #patternFor(text: string): RegExp | undefined {
    if (text.length < MIN_LENGTH) return undefined;
    let mask = 0;
    for (let index = 0; index < this.names.length; index++) if (DETECTORS[this.names[index]!].hint(text)) mask |= 1 << index;
    if (mask === 0) return undefined;
    let pattern = this.#patterns.get(mask);
    if (pattern === undefined) {
      const shapes = this.names.filter((_, index) => mask & (1 << index)).map((name) => `(?<${groupName(name)}>${DETECTORS[name].shape})`);
      this.#patterns.set(mask, (pattern = new RegExp(shapes.join('|'), 'g')));
    }
    pattern.lastIndex = 0;
    return pattern;
  }

  /** Every confirmed value in `text`, in order, none overlapping. */
  find(text: string): Detection[] {
    const found: Detection[] = [];
    const pattern = this.#patternFor(text);
    if (pattern === undefined) return found;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const detector = this.#which(match);
      if (this.#confirmed(detector, match, text)) {
        found.push({ detector, start: match.index, end: match.index + match[0].length, value: match[0] });
      } else {
        pattern.lastIndex = match.index + 1;
      }
    }
    return found;
  }

  /** Whether `text` holds a confirmed value (stops at the first). */
  test(text: string): boolean {
    const pattern = this.#patternFor(text);
    if (pattern === undefined) return false;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (this.#confirmed(this.#which(match), match, text)) return true;
      pattern.lastIndex = match.index + 1;
    }
    return false;
  }

  /** `text` with every confirmed value replaced by what `rewrite` returns for it (the same string when none is found). */
  replace(text: string, rewrite: (detection: Detection) => string): string {
    const found = this.find(text);
    if (found.length === 0) return text;
    let result = '';
    let at = 0;
    for (const detection of found) {
      result += text.slice(at, detection.start) + rewrite(detection);
      at = detection.end;
    }
    return result + text.slice(at);
  }

  #confirmed(detector: DetectorName, match: RegExpExecArray, text: string): boolean {
    return DETECTORS[detector].confirm(match[0]) && !insideUuid(text, match.index, match.index + match[0].length);
  }

  #which(match: RegExpExecArray): DetectorName {
    const groups = match.groups!;
    for (const name of this.names) if (groups[groupName(name)] !== undefined) return name;
    throw new Error('a detector match without its group');
  }
}

function groupName(name: DetectorName): string {
  return name.replace('-', '_');
}

/** The label a log line shows instead of a detected value: what it was, never any of it. */
export function detectionLabel(detection: Detection): string {
  return `[REDACTED:${detection.detector}]`;
}
