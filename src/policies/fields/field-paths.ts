/**
 * Field paths: JSON Pointers (RFC 6901) in which a `*` token matches any array element or object
 * member (`/data/*\/iban`), compiled into one trie per direction so that a body is matched in one
 * walk, whatever the number of paths. A location in the body is described by the set of trie nodes
 * its path reaches (a `*` and a literal can both match).
 */

/** What a path says about the value it reaches. */
export interface FieldRule<T> {
  /** The path as configured, for logs and field-usage evidence. */
  readonly path: string;
  readonly value: T;
}

export interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  star: TrieNode<T> | undefined;
  /** Rules whose path ends here. */
  readonly rules: FieldRule<T>[];
}

/** The tokens of a pointer, `~1` and `~0` unescaped (RFC 6901 §4); '' is the whole body. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A pattern as the config schema accepts it: '' or `/token…`, with `~` only as `~0` or `~1`. */
export const POINTER_PATTERN = '^(/([^~]|~[01])*)*$';

export function newNode<T>(): TrieNode<T> {
  return { children: new Map(), star: undefined, rules: [] };
}

export function buildTrie<T>(rules: ReadonlyArray<FieldRule<T>>): TrieNode<T> {
  const root = newNode<T>();
  for (const rule of rules) {
    let node = root;
    for (const token of pointerTokens(rule.path)) {
      if (token === '*') node = node.star ??= newNode<T>();
      else {
        let child = node.children.get(token);
        if (child === undefined) node.children.set(token, (child = newNode<T>()));
        node = child;
      }
    }
    node.rules.push(rule);
  }
  return root;
}

const NONE: readonly never[] = Object.freeze([]);

/** The nodes reached from `nodes` by one more path token (a member name, or an index as text). */
export function step<T>(nodes: ReadonlyArray<TrieNode<T>>, token: string): ReadonlyArray<TrieNode<T>> {
  if (nodes.length === 0) return NONE;
  if (nodes.length === 1) {
    const node = nodes[0]!;
    const child = node.children.get(token);
    if (child === undefined) return node.star === undefined ? NONE : [node.star];
    return node.star === undefined ? [child] : [child, node.star];
  }
  const next: TrieNode<T>[] = [];
  for (const node of nodes) {
    const child = node.children.get(token);
    if (child !== undefined) next.push(child);
    if (node.star !== undefined) next.push(node.star);
  }
  return next;
}

/** The first rule ending at one of `nodes`. */
export function ruleAt<T>(nodes: ReadonlyArray<TrieNode<T>>): FieldRule<T> | undefined {
  for (const node of nodes) if (node.rules.length > 0) return node.rules[0];
  return undefined;
}
