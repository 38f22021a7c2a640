/**
 * Finding detected values in text and rewriting them: one regular expression per detector set (an
 * alternation of the detectors' shapes, one named group each), so a text is scanned once whatever
 * the number of detectors. A candidate the detector does not confirm is skipped and the scan
 * resumes one character later, so a shorter value inside it is still found.
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
/** Every shape holds a digit, an `@` (or `%40`), `_` or `-` (key prefixes), or a JWT's `eyJ`: text with none is not scanned. */
const MAY_HOLD = /[0-9@_-]|eyJ/;

export class DetectorSet {
  readonly names: readonly DetectorName[];
  readonly #pattern: RegExp | undefined;

  constructor(names: readonly DetectorName[]) {
    this.names = [...new Set(names)];
    this.#pattern = this.names.length === 0 ? undefined : new RegExp(this.names.map((name) => `(?<${groupName(name)}>${DETECTORS[name].shape})`).join('|'), 'g');
  }

  /** Every confirmed value in `text`, in order, none overlapping. */
  find(text: string): Detection[] {
    const found: Detection[] = [];
    const pattern = this.#pattern;
    if (pattern === undefined || text.length < MIN_LENGTH || !MAY_HOLD.test(text)) return found;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const detector = this.#which(match);
      if (DETECTORS[detector].confirm(match[0])) {
        found.push({ detector, start: match.index, end: match.index + match[0].length, value: match[0] });
      } else {
        pattern.lastIndex = match.index + 1;
      }
    }
    return found;
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

  #which(match: RegExpExecArray): DetectorName {
    for (const name of this.names) if (match.groups![groupName(name)] !== undefined) return name;
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
