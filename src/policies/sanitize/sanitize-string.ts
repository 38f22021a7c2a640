/**
 * The string rules of the sanitize policy, as one pure function: control characters, Unicode
 * normalisation, markup. Order matters: control characters first (stripping one could join two
 * halves of a tag), then NFC, then markup on the normalised text. NFC never turns other characters
 * into `<` or `>`, but NFKC (which a downstream system may apply) turns the small and fullwidth
 * forms (U+FE64, U+FE65, U+FF1C, U+FF1E) into them, so those count as markup too.
 */

export interface SanitizeRules {
  readonly controlCharacters: string; // 'reject' | 'strip' | 'allow'
  readonly normalize: string; // 'nfc' | 'none'
  readonly markup: string; // 'reject' | 'escape' | 'allow'
}

export interface StringProblem {
  pointer: string;
  keyword: string;
  message: string;
}

/** C0 controls but tab, LF and CR; DEL; C1 controls. NUL is a C0 control. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const CONTROL_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const MARKUP = /[<>\uFE64\uFE65\uFF1C\uFF1E]/;
const ESCAPABLE = /[&<>"'\uFE64\uFE65\uFF1C\uFF1E]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\uFE64': '&#xFE64;', '\uFE65': '&#xFE65;', '\uFF1C': '&#xFF1C;', '\uFF1E': '&#xFF1E;' };

/**
 * Printable ASCII without `" & ' < >`, plus tab and line breaks: nothing any rule would touch (ASCII
 * is already NFC). Most strings are like this, so one test answers for them.
 */
const UNTOUCHED = /^[\t\n\r\x20\x21\x23-\x25\x28-\x3B\x3D\x3F-\x7E]*$/;

/** True when no rule could change or refuse this string (callers skip building its pointer). */
export function untouched(value: string): boolean {
  return UNTOUCHED.test(value);
}

/** Returns the cleaned string, or the same string (===) when nothing changed; refusals go to `problems`. */
export function sanitizeString(value: string, rules: SanitizeRules, pointer: string, problems: StringProblem[]): string {
  if (UNTOUCHED.test(value)) return value;
  let text = value;
  if (rules.controlCharacters !== 'allow' && CONTROL.test(text)) {
    if (rules.controlCharacters === 'reject') {
      problems.push({ pointer, keyword: 'controlCharacters', message: 'contains control characters or NUL bytes' });
      return value;
    }
    text = text.replace(CONTROL_ALL, '');
  }
  if (rules.normalize === 'nfc') {
    const normalized = text.normalize('NFC');
    if (normalized !== text) text = normalized;
  }
  if (rules.markup !== 'allow' && MARKUP.test(text)) {
    if (rules.markup === 'reject') {
      problems.push({ pointer, keyword: 'markup', message: 'contains markup (< or > or a look-alike)' });
      return value;
    }
  }
  if (rules.markup === 'escape') text = text.replace(ESCAPABLE, (c) => ESCAPES[c]!);
  return text === value ? value : text;
}
