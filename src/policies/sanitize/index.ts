/**
 * Sanitization of JSON request bodies (issue #5): for configured fields (JSON pointers, `*` for
 * any array item or property) or for every string in the body, control characters and NUL bytes
 * are refused or stripped, text is normalised to Unicode NFC, and markup is refused or
 * HTML-escaped, so data stored by the upstream cannot become an XSS payload when some other
 * system renders it. The sanitized body is what the upstream receives (ctx.replaceBody: the
 * proxy sends it with its own Content-Length). Refusals are 400 validation.failed with pointers.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { pathToPointer, rewriteStrings } from '../../openapi/safe-json.js';
import { validationLimitsSchema } from '../../openapi/validation-limits.js';
import { requestHasBody } from '../../http/request-body.js';
import { isPlainJsonBody } from '../../http/json-body.js';
import { sanitizeString, untouched, type SanitizeRules, type StringProblem } from './sanitize-string.js';

const Mode = (values: readonly string[], fallback: string, description: string) => Type.Unsafe<string>({ type: 'string', enum: [...values], default: fallback, description });

const rulesProperties = {
  controlCharacters: Mode(['reject', 'strip', 'allow'], 'reject', 'C0/C1 control characters, DEL and NUL (tab, line feed and carriage return are kept): reject (400), strip, or allow.'),
  normalize: Mode(['nfc', 'none'], 'nfc', 'nfc: normalise to Unicode Normalization Form C, so one text has one encoding; none: leave as sent.'),
  markup: Mode(['reject', 'escape', 'allow'], 'escape', 'Markup (< and >, and their small and fullwidth look-alikes): reject (400), escape (& < > " \' become HTML entities), or allow.'),
};

const configSchema = policyConfig(
  {
    fields: Type.Array(
      Type.Object({ pointer: Type.String({ pattern: '^(/([^~]|~[01])*)+$', description: 'JSON pointer (RFC 6901) to a string field; `*` matches any array item or property, e.g. /items/*/name.' }), ...rulesProperties }, { additionalProperties: false }),
      { default: [], description: 'Fields to sanitize, each with its own modes.' },
    ),
    body: Type.Optional(Type.Object(rulesProperties, { additionalProperties: false, description: 'Sanitize every string in the body (and every property name) with these modes; fields listed in `fields` use their own.' })),
    otherMediaTypes: Mode(['reject', 'pass'], 'reject', 'A body that is not JSON: reject (415, so sanitization cannot be bypassed by another encoding) or pass unchanged.'),
    limits: validationLimitsSchema,
  },
  'Sanitizes strings in JSON request bodies: control characters, Unicode normalisation, markup.',
);

export const sanitize = definePolicy({
  name: 'sanitize',
  description: 'Refuses or cleans control characters and markup in JSON body strings, normalises Unicode.',
  enabledByDefault: false,
  configSchema,
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.enabled !== false && config.fields.length === 0 && config.body === undefined) issues.push({ path: 'fields', message: 'name fields to sanitize, or set body for the whole body' });
    return issues;
  },
  create(config) {
    const fields = config.fields.map((field) => ({ tokens: parsePointer(field.pointer), rules: field as SanitizeRules }));
    const whole = config.body as SanitizeRules | undefined;
    return {
      validate: async function sanitizeBody(ctx) {
        if (!requestHasBody(ctx.req)) return;
        if (!isPlainJsonBody(ctx.req)) {
          if (config.otherMediaTypes === 'pass') return;
          throw new GatewayError('request.unsupported_media_type', { detail: 'This route sanitizes the body: send it as unencoded application/json.' });
        }
        ctx.maxBodyBytes = Math.min(ctx.maxBodyBytes, config.limits.maxBodyBytes);
        // The context's one parse of the body, shared with validate (same limits: not parsed again).
        const parsed = await ctx.readJson(config.limits);
        if (parsed === undefined) return;
        if (!parsed.ok) throw refuse([{ pointer: `/body${parsed.problem.pointer}`, keyword: parsed.problem.keyword, message: parsed.problem.message }]);
        const problems: StringProblem[] = [];
        // Changed strings by their path (JSON of the path: exact, unlike a truncated pointer). Only
        // they are rewritten in the body's text; everything else, numbers beyond double precision
        // included, reaches the upstream exactly as it was validated (issue 12 §2).
        const valueEdits = new Map<string, string>();
        const keyEdits = new Map<string, string>();
        const visit = (value: unknown, path: (string | number)[], rules: SanitizeRules | undefined): void => {
          if (typeof value === 'string') {
            const own = fieldRules(path) ?? rules;
            if (!own || untouched(value)) return;
            const result = sanitizeString(value, own, pathToPointer(path), problems);
            if (result !== value) valueEdits.set(JSON.stringify(path), result);
            return;
          }
          if (Array.isArray(value)) return value.forEach((item, index) => visit(item, [...path, index], rules));
          if (typeof value === 'object' && value !== null) {
            const names = new Set<string>();
            for (const [key, child] of Object.entries(value)) {
              const name = rules && !untouched(key) ? sanitizeString(key, rules, pathToPointer([...path, key]), problems) : key;
              if (name !== key) keyEdits.set(JSON.stringify([...path, key]), name);
              // Two names that clean to the same one would silently lose a value: refuse instead.
              if (names.has(name)) problems.push({ pointer: pathToPointer([...path, key]), keyword: 'duplicateKey', message: 'is the same as another property once sanitized' });
              names.add(name);
              visit(child, [...path, key], rules);
            }
          }
        };
        const fieldRules = (path: readonly (string | number)[]) => (fields.length === 0 ? undefined : fields.find((field) => matches(field.tokens, path))?.rules);
        visit(parsed.value, [], whole);
        if (problems.length > 0) throw refuse(problems.map((p) => ({ ...p, pointer: `/body${p.pointer}` })));
        if (valueEdits.size > 0 || keyEdits.size > 0) {
          // validate, after this, parses and checks these bytes: exactly what is forwarded.
          const body = await ctx.readBody();
          ctx.replaceBody(Buffer.from(rewriteStrings(body.toString('utf8'), valueEdits, keyEdits)));
          ctx.logFields.sanitized = true;
        }
      },
    };
  },
});

function refuse(problems: StringProblem[]): GatewayError {
  return new GatewayError('validation.failed', { detail: `The request body holds content this API does not accept: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, extensions: { errors: problems.slice(0, 20) } });
}

function parsePointer(pointer: string): string[] {
  return pointer.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function matches(tokens: readonly string[], path: readonly (string | number)[]): boolean {
  if (tokens.length !== path.length) return false;
  return tokens.every((token, index) => token === '*' || token === String(path[index]));
}
