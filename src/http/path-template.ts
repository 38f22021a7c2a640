/**
 * Route path templates: `/v1/accounts/:id`, with an optional trailing `/*` that matches the rest
 * of the path. Compiled once at load; the router and the rewrite use the compiled form.
 */

export type TemplateSegment = { kind: 'static'; value: string } | { kind: 'param'; name: string } | { kind: 'wildcard' };

export type TemplateResult = { ok: true; segments: TemplateSegment[] } | { ok: false; message: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function compilePathTemplate(template: string): TemplateResult {
  if (!template.startsWith('/')) return { ok: false, message: 'must start with "/"' };
  if (/[?#\s]/.test(template)) return { ok: false, message: 'must not contain "?", "#" or spaces' };
  const parts = template.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  const seen = new Set<string>();
  for (const [index, part] of parts.entries()) {
    if (part === '*') {
      if (index !== parts.length - 1) return { ok: false, message: '"*" is only allowed as the last segment' };
      segments.push({ kind: 'wildcard' });
    } else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) return { ok: false, message: `parameter "${part}" must be ":" followed by a name` };
      if (seen.has(name)) return { ok: false, message: `parameter ":${name}" appears twice` };
      seen.add(name);
      segments.push({ kind: 'param', name });
    } else if (part === '.' || part === '..') {
      return { ok: false, message: 'must not contain "." or ".." segments' };
    } else {
      segments.push({ kind: 'static', value: part });
    }
  }
  return { ok: true, segments };
}

export function templateParams(segments: readonly TemplateSegment[]): string[] {
  return segments.flatMap((s) => (s.kind === 'param' ? [s.name] : s.kind === 'wildcard' ? ['*'] : []));
}

/** Fills a template (the route's `rewrite`) with the matched parameters. */
export function fillTemplate(segments: readonly TemplateSegment[], params: Readonly<Record<string, string>>): string {
  let path = '';
  for (const segment of segments) {
    if (segment.kind === 'static') path += `/${segment.value}`;
    else if (segment.kind === 'param') path += `/${params[segment.name] ?? ''}`;
    else if (params['*']) path += `/${params['*']}`;
  }
  return path === '' ? '/' : path;
}
