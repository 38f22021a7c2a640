/**
 * The reference of the admin API's people routes (docs/admin-api.md): users, roles, admin tokens,
 * login and sessions, MFA and passkeys, rendered from the route table itself, so the page cannot
 * drift from what is served (test/admin-api-docs.test.ts compares them).
 */
import type { TSchema } from '@sinclair/typebox';
import { ERROR_TABLE } from '../core/errors.js';
import { AUTHENTICATED, PUBLIC } from './permissions.js';
import type { AdminRoute } from './route.js';

/** The sections of the page and the paths each holds (first match wins). */
export const REFERENCE_SECTIONS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Sign-in and sessions', /^\/v1\/(login|logout|session|sessions)(\/|$)/],
  ['Second factors (TOTP, recovery codes, passkeys)', /^\/v1\/(mfa(\/|$)|users\/:id\/mfa)/],
  ['Users', /^\/v1\/(users|invitations|password-resets|me)(\/|$)/],
  ['Roles and permissions', /^\/v1\/(roles|permissions)(\/|$)/],
  ['Admin tokens', /^\/v1\/admin-tokens(\/|$)/],
  ['Who am I', /^\/v1\/whoami$/],
];

function typeOf(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items as TSchema)}[]`;
  if (schema.type === 'object' && schema.patternProperties) return 'object';
  return String(schema.type ?? 'any');
}

/** `name` type, `optional`? type … of an object schema; `—` for none. */
function fieldsOf(schema: TSchema | undefined): string {
  const properties = (schema?.properties ?? {}) as Record<string, TSchema>;
  const required = new Set((schema?.required ?? []) as string[]);
  const names = Object.keys(properties);
  if (names.length === 0) return schema ? '`{}`' : '—';
  return names.map((name) => `\`${name}\`${required.has(name) ? '' : '?'} ${typeOf(properties[name]!)}`).join(', ');
}

function whoMay(route: AdminRoute): string {
  const session = route.sessionOnly ? ', with a login session (not a token)' : '';
  if (route.permission === PUBLIC) return 'none (public)';
  if (route.permission === AUTHENTICATED) return `\`authenticated\`${session}`;
  return `\`${route.permission}\`${session}`;
}

/** The page's generated part: one table per section, one row per route. */
export function renderAdminApiReference(routes: readonly AdminRoute[]): string {
  const out: string[] = [];
  for (const [title, pattern] of REFERENCE_SECTIONS) {
    const rows = routes.filter((route) => pattern.test(route.path) && REFERENCE_SECTIONS.find(([, p]) => p.test(route.path))![1] === pattern);
    if (rows.length === 0) continue;
    out.push(`### ${title}`, '', '| method and path | permission | step-up | body | success | answers | problems (besides 401, 403, 429, 500, 503) |', '|---|---|:-:|---|---|---|---|');
    for (const route of rows) {
      const problems = route.errors.map((code) => `\`${ERROR_TABLE[code].status} ${code}\``).join(', ') || '—';
      out.push(`| \`${route.method} ${route.path}\`<br>${route.summary} | ${whoMay(route)} | ${route.stepUp ? 'yes' : ''} | ${route.bodySchema ? fieldsOf(route.bodySchema) : '—'} | ${route.status} | ${fieldsOf(route.responseSchema)} | ${problems} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
