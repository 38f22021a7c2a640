/**
 * OpenAPI path templates (`/repos/{owner}/{repo}`, `/files/{name}.{ext}`): matching a request path
 * to pull out the path parameters, and translating to the gateway's route templates
 * (`/repos/:p0/:p1`), whose parameter names are restricted, so they are numbered; validation takes
 * the values from the document's template, not from the route's names.
 */
import { ContractError } from './openapi-document.js';

type Segment = { kind: 'static'; value: string } | { kind: 'pattern'; regex: RegExp; names: string[] };

export interface OperationPath {
  readonly template: string;
  readonly segmentCount: number;
  /** The gateway route template for this path. */
  readonly routeTemplate: string;
  /** Raw (still percent-encoded) values by parameter name, or undefined when the path does not match. */
  match(segments: readonly string[]): Record<string, string> | undefined;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileOperationPath(template: string, pointer: string): OperationPath {
  const parts = template.slice(1).split('/');
  const segments: Segment[] = [];
  let counter = 0;
  const route: string[] = [];
  for (const part of parts) {
    if (!part.includes('{')) {
      if (part.includes('}')) throw new ContractError(pointer, `path template "${template}" has an unmatched "}"`);
      segments.push({ kind: 'static', value: part });
      route.push(part);
      continue;
    }
    const names: string[] = [];
    let source = '^';
    let rest = part;
    while (rest !== '') {
      const open = rest.indexOf('{');
      if (open === -1) {
        source += escapeRegex(rest);
        break;
      }
      const close = rest.indexOf('}', open);
      if (close === -1) throw new ContractError(pointer, `path template "${template}" has an unclosed "{"`);
      source += escapeRegex(rest.slice(0, open));
      const name = rest.slice(open + 1, close);
      if (name === '') throw new ContractError(pointer, `path template "${template}" has an empty parameter`);
      names.push(name);
      rest = rest.slice(close + 1);
      // The last parameter in a segment takes the rest; earlier ones as little as they can.
      source += rest.includes('{') || rest !== '' ? '(.+?)' : '(.+)';
    }
    segments.push({ kind: 'pattern', regex: new RegExp(`${source}$`), names });
    route.push(`:p${counter++}`);
  }
  return {
    template,
    segmentCount: segments.length,
    routeTemplate: `/${route.join('/')}`,
    match(requestSegments) {
      if (requestSegments.length !== segments.length) return undefined;
      const values: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        const actual = requestSegments[i]!;
        if (segment.kind === 'static') {
          if (actual !== segment.value && safeDecode(actual) !== segment.value) return undefined;
          continue;
        }
        const found = segment.regex.exec(actual);
        if (!found) return undefined;
        segment.names.forEach((name, index) => (values[name] = found[index + 1]!));
      }
      return values;
    },
  };
}

export function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
