/**
 * CORS (Fetch standard, "CORS protocol"): answers preflights from allowed origins itself and adds
 * the Access-Control-* headers to actual responses. CORS is a browser relaxation, not access
 * control: a request from an unlisted origin still reaches the upstream, it just gets no CORS
 * headers, so a browser will not hand the response to the page.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';

const configSchema = policyConfig(
  {
    allowOrigins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^/\\s]+)$' }), {
      minItems: 1,
      description: 'Exact origins (scheme://host[:port]) allowed, or "*" for any (not with allowCredentials).',
    }),
    allowMethods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { description: "Methods a preflight may ask for; default: the route's methods." })),
    allowHeaders: Type.Array(Type.String(), {
      default: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
      description: 'Request headers a preflight may ask for.',
    }),
    exposeHeaders: Type.Array(Type.String(), { default: ['x-request-id', 'traceparent'], description: 'Response headers the page may read.' }),
    allowCredentials: Type.Boolean({ default: false, description: 'Allow cookies / HTTP auth; requires explicit origins.' }),
    maxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'How long a browser may cache a preflight.' }),
  },
  'Cross-origin resource sharing for browser clients.',
);

export const cors = definePolicy({
  name: 'cors',
  description: 'Answers CORS preflights and adds Access-Control-* headers for allowed origins.',
  enabledByDefault: false,
  configSchema,
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.allowCredentials && config.allowOrigins.includes('*')) {
      // Fetch standard: "*" is not honoured with credentials, and reflecting any origin instead
      // would let every site act with the user's cookies.
      issues.push({ path: 'allowOrigins', message: '"*" cannot be combined with allowCredentials: list the origins' });
    }
    return issues;
  },
  create(config, deps) {
    const anyOrigin = config.allowOrigins.includes('*');
    const origins = new Set(config.allowOrigins.map((origin) => origin.toLowerCase()));
    const methods = (config.allowMethods ?? deps.routeMethods ?? ['GET', 'HEAD', 'POST']).join(', ');
    const allowHeaders = new Set(config.allowHeaders.map((name) => name.toLowerCase()));
    const allowHeadersValue = [...allowHeaders].join(', ');
    const exposeValue = config.exposeHeaders.join(', ');
    const isAllowed = (origin: string) => anyOrigin || origins.has(origin.toLowerCase());
    const allowOriginValue = (origin: string) => (anyOrigin && !config.allowCredentials ? '*' : origin);

    return {
      receive: function answerPreflight(ctx) {
        if (!ctx.isPreflight) return;
        const origin = ctx.req.headers.origin!;
        if (!isAllowed(origin)) {
          throw new GatewayError('cors.origin_not_allowed', { detail: 'This origin may not call this API from a browser.' });
        }
        const headers: Record<string, string> = {
          'access-control-allow-origin': allowOriginValue(origin),
          'access-control-allow-methods': methods,
          'access-control-allow-headers': allowHeadersValue,
          'access-control-max-age': String(config.maxAgeSeconds),
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        };
        if (config.allowCredentials) headers['access-control-allow-credentials'] = 'true';
        return { status: 204, headers };
      },
      respond: function addCorsHeaders(ctx) {
        if (ctx.isPreflight) return;
        const headers = ctx.response!.headers;
        // This policy decides CORS: an upstream that reflects any origin must not decide instead.
        for (const name in headers) if (name.startsWith('access-control-')) delete headers[name];
        const origin = ctx.req.headers.origin;
        if (!anyOrigin || config.allowCredentials) appendVary(headers, 'Origin');
        if (origin === undefined || !isAllowed(origin)) return;
        headers['access-control-allow-origin'] = allowOriginValue(origin);
        if (config.allowCredentials) headers['access-control-allow-credentials'] = 'true';
        if (exposeValue !== '') headers['access-control-expose-headers'] = exposeValue;
      },
    };
  },
});

function appendVary(headers: Record<string, string | string[]>, name: string): void {
  const current = headers.vary;
  if (current === undefined) headers.vary = name;
  else if (!String(current).toLowerCase().includes(name.toLowerCase())) headers.vary = `${String(current)}, ${name}`;
}
