/**
 * Where a config path (`routes[2].policies.validate`) is in the file as written: the line and
 * column of the deepest node of the path that the file has (a default that is not written is
 * located at its nearest written parent). For the text report and SARIF regions.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `routes[2].policies.request-size-limit` → ['routes', 2, 'policies', 'request-size-limit']. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return segments;
    if (match[1] !== '') segments.push(match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/** A locator over one config file; positions are 1-based. Unreadable or unparsable: locates nothing. */
export function configLocator(file: string): (path: string | undefined) => Position | undefined {
  let document: ReturnType<typeof parseDocument>;
  const counter = new LineCounter();
  try {
    document = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
  } catch {
    return () => undefined;
  }
  return (path) => {
    if (path === undefined) return undefined;
    let node: unknown = document.contents;
    let found: Node | undefined = isMap(node) || isSeq(node) ? (node as Node) : undefined;
    for (const segment of pathSegments(path)) {
      if (!isMap(node) && !isSeq(node)) break;
      const next = (node as { get(key: unknown, keepScalar: true): unknown }).get(segment, true);
      if (next === undefined) break;
      node = next;
      found = next as Node;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = counter.linePos(offset);
    return { line, column: col };
  };
}
