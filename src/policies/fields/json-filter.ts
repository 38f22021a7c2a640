/**
 * Rewrites a JSON text by field rules in one pass over its tokens (jsonc-parser's scanner, which
 * unescapes strings and names): members and elements outside an allowlist or inside a denylist
 * are left out, operators rewrite the values their paths reach, detectors rewrite values found in
 * any string. Everything kept is copied from the input as it was written, so numbers beyond double
 * precision and string escapes reach the reader exactly as the upstream or client sent them;
 * only rewritten values are serialised anew. No value tree is built: memory is the text and the
 * output.
 */
import { createScanner, type JSONScanner } from 'jsonc-parser';
import type { DetectorSet } from '../../detect/scan.js';
import { ruleAt, step, type TrieNode } from './field-paths.js';
import type { ValueRewriter } from './operators.js';

/** What a path's operator does: the member goes, or its value (every value beneath it) is rewritten. */
export type FieldOperator = { readonly remove: true; readonly rewrite?: undefined } | { readonly remove?: false; readonly rewrite: ValueRewriter };

export interface FilterPlan {
  /** allow: only members on (or under) a selected path stay; deny: the selected ones go; none: selection off. */
  readonly mode: 'allow' | 'deny' | 'none';
  readonly select: TrieNode<true>;
  readonly operators: TrieNode<FieldOperator>;
  /** Detected values in any string (or number) kept, and what they become. */
  readonly detect: { readonly set: DetectorSet; readonly rewrite: ValueRewriter } | undefined;
  /** Deepest nesting walked (the walk recurses): deeper text is refused, not half-filtered. */
  readonly maxDepth: number;
}

export interface FilterOutcome {
  readonly text: string;
  /** Something was left out or rewritten (false: `text` is the input, byte for byte). */
  readonly changed: boolean;
  /** allow mode: the configured paths that reached a value other than null (field-usage evidence). */
  readonly present: ReadonlySet<string>;
}

export class JsonFilterError extends Error {
  constructor(readonly reason: 'json' | 'depth') {
    super(reason === 'json' ? 'the body is not valid JSON' : 'the body is nested deeper than the field filter walks');
  }
}

// jsonc-parser's SyntaxKind (a const enum, not importable under isolated modules).
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const COLON = 6;
const NULL = 7;
const TRUE = 8;
const FALSE = 9;
const STRING = 10;
const NUMBER = 11;
const LINE_BREAK = 14;
const WHITESPACE = 15;
const EOF = 17;

const NONE: readonly never[] = Object.freeze([]);

export function filterJson(text: string, plan: FilterPlan): FilterOutcome {
  const walker = new Walker(text, plan);
  const first = walker.next();
  if (first === EOF) return { text, changed: false, present: walker.present };
  const root = [plan.select];
  const whole = plan.mode !== 'allow' || ruleAt(root) !== undefined;
  walker.value(first, plan.mode === 'none' ? NONE : root, [plan.operators], whole, ruleAt([plan.operators])?.value.rewrite, true, 0);
  if (walker.next() !== EOF) throw new JsonFilterError('json');
  return walker.changed ? { text: walker.out, changed: true, present: walker.present } : { text, changed: false, present: walker.present };
}

type Nodes<T> = ReadonlyArray<TrieNode<T>>;

class Walker {
  out = '';
  changed = false;
  readonly present = new Set<string>();
  readonly #scanner: JSONScanner;

  constructor(
    private readonly text: string,
    private readonly plan: FilterPlan,
  ) {
    // Trivia kept: with it ignored the scanner would skip comments too, which JSON does not have.
    this.#scanner = createScanner(text, false);
  }

  next(): number {
    let kind = this.#scanner.scan();
    while (kind === LINE_BREAK || kind === WHITESPACE) kind = this.#scanner.scan();
    // Comments, stray characters and bad escapes are not JSON (RFC 8259), whatever jsonc allows.
    if (this.#scanner.getTokenError() !== 0 || kind > NUMBER && kind !== EOF) throw new JsonFilterError('json');
    return kind;
  }

  #raw(): string {
    return this.text.substr(this.#scanner.getTokenOffset(), this.#scanner.getTokenLength());
  }

  /** One value starting at the token `kind`: written to the output when `emit`, else skipped. */
  value(kind: number, select: Nodes<true>, operators: Nodes<FieldOperator>, whole: boolean, inherited: ValueRewriter | undefined, emit: boolean, depth: number): void {
    if (depth > this.plan.maxDepth) throw new JsonFilterError('depth');
    if (kind === OPEN_BRACE || kind === OPEN_BRACKET) {
      const quiet = (this.plan.mode === 'allow' ? whole : select.length === 0) && operators.length === 0 && inherited === undefined && this.plan.detect === undefined;
      if (emit && quiet) {
        // Nothing beneath can change: copy the value's text as it is.
        const start = this.#scanner.getTokenOffset();
        this.#container(kind, NONE, NONE, true, undefined, false, depth);
        this.out += this.text.slice(start, this.#scanner.getTokenOffset() + this.#scanner.getTokenLength());
        return;
      }
      return this.#container(kind, select, operators, whole, inherited, emit, depth);
    }
    if (kind !== STRING && kind !== NUMBER && kind !== NULL && kind !== TRUE && kind !== FALSE) throw new JsonFilterError('json');
    if (!emit) return;
    if (kind === NULL || kind === TRUE || kind === FALSE) {
      this.out += this.#raw();
      return;
    }
    const value = kind === STRING ? this.#scanner.getTokenValue() : this.#raw();
    let rewritten = value;
    if (inherited !== undefined) rewritten = inherited(value);
    else if (this.plan.detect !== undefined) rewritten = this.plan.detect.set.replace(value, (found) => this.plan.detect!.rewrite(found.value));
    if (rewritten === value) this.out += this.#raw();
    else {
      this.out += JSON.stringify(rewritten);
      this.changed = true;
    }
  }

  #container(open: number, select: Nodes<true>, operators: Nodes<FieldOperator>, whole: boolean, inherited: ValueRewriter | undefined, emit: boolean, depth: number): void {
    const isObject = open === OPEN_BRACE;
    const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
    if (emit) this.out += isObject ? '{' : '[';
    let kind = this.next();
    let written = 0;
    for (let index = 0; kind !== close || index > 0; index++) {
      let token: string;
      let name = '';
      if (isObject) {
        if (kind !== STRING) throw new JsonFilterError('json');
        token = this.#scanner.getTokenValue();
        name = this.#raw();
        if (this.next() !== COLON) throw new JsonFilterError('json');
        kind = this.next();
      } else {
        token = String(index);
      }
      const childSelect = !emit || (this.plan.mode === 'allow' && whole) ? NONE : step(select, token);
      const childOperators = emit ? step(operators, token) : NONE;
      const operator = ruleAt(childOperators)?.value;
      let keep = emit && operator?.remove !== true;
      let childWhole = whole;
      if (emit && this.plan.mode === 'allow' && !whole) {
        const allowed = ruleAt(childSelect);
        childWhole = allowed !== undefined;
        keep &&= childWhole || childSelect.length > 0;
        if (keep && allowed !== undefined && kind !== NULL) this.present.add(allowed.path);
      } else if (emit && this.plan.mode === 'deny' && ruleAt(childSelect) !== undefined) {
        keep = false;
      }
      if (emit && !keep) this.changed = true;
      if (keep) {
        if (written++ > 0) this.out += ',';
        if (isObject) this.out += `${name}:`;
      }
      this.value(kind, childSelect, childOperators, childWhole, operator?.rewrite ?? inherited, keep, depth + 1);
      kind = this.next();
      if (kind === close) break;
      // A comma, then a member or element (a trailing comma is not JSON: the next token is `}` or `]`, refused above).
      if (kind !== COMMA) throw new JsonFilterError('json');
      kind = this.next();
      if (kind === close) throw new JsonFilterError('json');
    }
    if (emit) this.out += isObject ? '}' : ']';
  }
}
