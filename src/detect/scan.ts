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
      if (DETECTORS[detector].confirm(match[0])) {
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
      if (DETECTORS[this.#which(match)].confirm(match[0])) return true;
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
