/**
 * Requires scopes: on the whole route, and per method. It reads only the principal, so it works
 * behind any authentication policy (API keys now, tokens and certificates later).
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig } from '../../core/policy.js';

const Scope = Type.String({ pattern: '^[!#-\\[\\]-~]+$', description: 'A scope (RFC 6749 §3.3 characters).' });

const configSchema = policyConfig(
  {
    scopes: Type.Array(Scope, { default: [], description: 'Scopes every request on the route needs (all of them).' }),
    methods: Type.Record(Type.String({ pattern: '^[A-Z]+$' }), Type.Array(Scope), { default: {}, description: 'More scopes per method, e.g. POST: [payments:write].' }),
  },
  'Requires the principal to hold scopes, per route and per method.',
);

export const authorize = definePolicy({
  name: 'authorize',
  description: 'Refuses principals without the required scopes (403 auth.insufficient_scope).',
  enabledByDefault: false,
  configSchema,
  create(config) {
    const byMethod = new Map<string, readonly string[]>();
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      byMethod.set(method, [...new Set([...config.scopes, ...(config.methods[method] ?? (method === 'HEAD' ? (config.methods.GET ?? []) : []))])]);
    }
    return {
      authorize: function requireScopes(ctx) {
        const required = byMethod.get(ctx.method) ?? config.scopes;
        const principal = ctx.principal;
        if (!principal) {
          // No authentication policy ran or none accepted the request: never let it through.
          throw new GatewayError('auth.missing_credentials', { detail: 'This route needs credentials.', headers: { 'www-authenticate': 'Bearer' } });
        }
        const missing = required.filter((scope) => !principal.scopes.includes(scope));
        if (missing.length > 0) {
          // RFC 6750 §3.1: insufficient_scope names the scope needed.
          throw new GatewayError('auth.insufficient_scope', {
            detail: `This request needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
            headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"` },
          });
        }
      },
    };
  },
});
