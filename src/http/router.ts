/**
 * Matches host + method + path to a route. One segment tree per method, so `DELETE /accounts/:id`
 * still matches when `GET /accounts/summary` is a static route. At each level a static segment is
 * tried before a parameter, and a parameter before a wildcard tail. A path that matches only under
 * other methods is a 405 with their list for `Allow`; HEAD is served wherever GET is (RFC 9110 §9.3.2).
 */
import type { TemplateSegment } from './path-template.js';

export interface RoutableRoute<R> {
  readonly route: R;
  readonly methods: readonly string[];
  readonly segments: readonly TemplateSegment[];
  /** Lower-case host, `*.example.com`, or undefined for any host. */
  readonly host: string | undefined;
}

interface Entry<R> {
  route: R;
  host: string | undefined;
  paramNames: string[];
}

interface TreeNode<R> {
  statics: Map<string, TreeNode<R>>;
  param: TreeNode<R> | undefined;
  /** Routes that end here. */
  entries: Entry<R>[];
  /** Routes whose wildcard tail starts here. */
  wildcard: Entry<R>[];
}

export type RouteMatch<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

const newNode = <R>(): TreeNode<R> => ({ statics: new Map(), param: undefined, entries: [], wildcard: [] });

export class Router<R> {
  readonly #trees = new Map<string, TreeNode<R>>();

  constructor(routes: readonly RoutableRoute<R>[]) {
    for (const routable of routes) {
      const methods = new Set(routable.methods);
      if (methods.has('GET')) methods.add('HEAD');
      for (const method of methods) this.#insert(method, routable);
    }
    // Exact hosts before wildcard hosts before host-less routes.
    for (const tree of this.#trees.values()) sortEntries(tree);
  }

  match(method: string, host: string, path: string): RouteMatch<R> {
    const segments = path.slice(1).split('/');
    const tree = this.#trees.get(method);
    const found = tree && find(tree, segments, 0, host, []);
    if (found) return { kind: 'found', route: found.entry.route, params: found.params };
    const allow: string[] = [];
    for (const [other, otherTree] of this.#trees) {
      if (other !== method && find(otherTree, segments, 0, host, [])) allow.push(other);
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow: allow.sort() } : { kind: 'not_found' };
  }

  #insert(method: string, routable: RoutableRoute<R>): void {
    let node = this.#trees.get(method);
    if (!node) this.#trees.set(method, (node = newNode()));
    const paramNames: string[] = [];
    const entry: Entry<R> = { route: routable.route, host: routable.host, paramNames };
    for (const segment of routable.segments) {
      if (segment.kind === 'wildcard') {
        node.wildcard.push(entry);
        return;
      }
      if (segment.kind === 'param') {
        paramNames.push(segment.name);
        node = node.param ??= newNode();
      } else {
        let next = node.statics.get(segment.value);
        if (!next) node.statics.set(segment.value, (next = newNode()));
        node = next;
      }
    }
    node.entries.push(entry);
  }
}

function find<R>(node: TreeNode<R>, segments: string[], index: number, host: string, values: string[]): { entry: Entry<R>; params: Record<string, string> } | undefined {
  if (index === segments.length) {
    const entry = node.entries.find((e) => hostMatches(e.host, host));
    if (entry) return { entry, params: toParams(entry.paramNames, values) };
  } else {
    const segment = segments[index]!;
    const staticChild = node.statics.get(segment);
    if (staticChild) {
      const found = find(staticChild, segments, index + 1, host, values);
      if (found) return found;
    }
    if (node.param && segment !== '') {
      values.push(segment);
      const found = find(node.param, segments, index + 1, host, values);
      if (found) return found;
      values.pop();
    }
  }
  const tail = node.wildcard.find((e) => hostMatches(e.host, host));
  if (tail) {
    const params = toParams(tail.paramNames, values);
    params['*'] = segments.slice(index).join('/');
    return { entry: tail, params };
  }
  return undefined;
}

function toParams(names: string[], values: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) params[names[i]!] = values[i]!;
  return params;
}

function hostMatches(pattern: string | undefined, host: string): boolean {
  if (pattern === undefined) return true;
  if (pattern.startsWith('*.')) {
    // One label only: *.example.com matches a.example.com, not a.b.example.com.
    const suffix = pattern.slice(1);
    return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, host.length - suffix.length).includes('.');
  }
  return pattern === host;
}

function hostRank(host: string | undefined): number {
  return host === undefined ? 2 : host.startsWith('*.') ? 1 : 0;
}

function sortEntries<R>(node: TreeNode<R>): void {
  node.entries.sort((a, b) => hostRank(a.host) - hostRank(b.host));
  node.wildcard.sort((a, b) => hostRank(a.host) - hostRank(b.host));
  for (const child of node.statics.values()) sortEntries(child);
  if (node.param) sortEntries(node.param);
}
