/**
 * Field-level minimisation and redaction (issue 20 §2, §3): what a partner receives from an
 * upstream response, and what a third party receives in a request body, is cut down to an
 * allowlist (or has a denylist removed), with operators (remove, mask, hash, replace) per path and
 * detectors for card numbers, IBANs, e-mail addresses, phone numbers, national identifiers, API
 * keys and JWTs in any field. Responses go through the response-body seam (decoded from gzip,
 * deflate or br, read whole up to maxBodyBytes: a larger one is refused with 502
 * upstream.response_too_large, never sent unfiltered); request bodies are rewritten in the
 * transform phase, after validation, and the proxy sends the new bytes with their own
 * Content-Length. See docs/fields.md.
 */
import { GatewayError } from '../../core/errors.js';
import { definePolicy, type ConfigIssue } from '../../core/policy.js';
import type { RequestContext } from '../../core/context.js';
import type { Clock } from '../../core/clock.js';
import type { FieldUsageRecorder } from '../../core/services.js';
import { requestHasBody } from '../../http/request-body.js';
import { isPlainJsonBody } from '../../http/json-body.js';
import { decodeUtf8 } from '../../openapi/safe-json.js';
import { filterJson, JsonFilterError, type FilterOutcome, type FilterPlan } from './json-filter.js';
import { compilePlan, usesHash } from './plan.js';
import { fieldsConfigSchema, type DirectionConfig } from './schema.js';

/** application/json and every `+json` type (RFC 6839 §3.1), parameters allowed. */
const JSON_MEDIA_TYPE = /^\s*application\/(?:[a-z0-9!#$&^_.+-]+\+)?json\s*(?:;|$)/i;

export const fields = definePolicy({
  name: 'fields',
  description: 'Removes, masks or hashes JSON fields of responses and of request bodies sent upstream; detects cards, IBANs and other personal data.',
  enabledByDefault: false,
  configSchema: fieldsConfigSchema,
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.enabled === false) return issues;
    if (config.response === undefined && config.request === undefined) issues.push({ path: 'response', message: 'give rules for the response, the request, or both' });
    for (const side of ['response', 'request'] as const) {
      const direction = config[side];
      if (direction === undefined) continue;
      if (direction.mode !== undefined && direction.paths.length === 0) issues.push({ path: `${side}.paths`, message: `mode ${direction.mode} needs at least one path` });
      if (direction.mode === undefined && direction.paths.length > 0) issues.push({ path: `${side}.mode`, message: 'say whether the paths are an allowlist or a denylist (allow or deny)' });
      if (direction.mode === undefined && direction.redact.length === 0 && direction.detect === undefined) issues.push({ path: side, message: 'has no rules: give mode and paths, redact, or detect' });
    }
    const hashed = usesHash(config.response) || usesHash(config.request);
    if (hashed && config.hashKey === undefined) issues.push({ path: 'hashKey', message: 'the hash operator needs a key: hashKey: ${env:NAME}' });
    return issues;
  },
  create(config, deps) {
    const responsePlan = config.response && compilePlan(config.response, config.maxDepth, config.hashKey);
    const requestPlan = config.request && compilePlan(config.request, config.maxDepth, config.hashKey);
    return {
      respondReadsBody: responsePlan !== undefined,
      respond: responsePlan && config.response ? responseFilter(responsePlan, config.response, config.maxBodyBytes, deps.services.fieldUsage, deps.clock) : undefined,
      transform: requestPlan && config.request ? requestFilter(requestPlan, config.request) : undefined,
    };
  },
});

function responseFilter(plan: FilterPlan, direction: DirectionConfig, maxBodyBytes: number, usage: FieldUsageRecorder | undefined, clock: Clock) {
  return async function filterResponseFields(ctx: RequestContext): Promise<void> {
    const response = ctx.response;
    if (!response || response.source !== 'upstream' || response.body === undefined) return;
    // RFC 9110 §9.3.2, §15.3.5, §15.4.5: no content with HEAD, 204 or 304.
    if (ctx.method === 'HEAD' || response.status === 204 || response.status === 304) return;
    const type = header(response.headers['content-type']);
    if (type === undefined || !JSON_MEDIA_TYPE.test(type)) {
      if (header(response.headers['content-length']) === '0' || direction.otherMediaTypes === 'pass') return;
      throw new GatewayError('upstream.response_not_json', { detail: 'The upstream response could not be filtered: it is not JSON.', internal: `content-type ${type ?? '(none)'} on a route whose response fields are filtered` });
    }
    const body = await response.body.read(maxBodyBytes);
    if (body === undefined) {
      throw new GatewayError('upstream.response_too_large', { detail: 'The upstream response is larger than the gateway filters.', internal: `the response body is over fields.maxBodyBytes (${maxBodyBytes} decoded bytes)` });
    }
    if (body.length === 0) return;
    const outcome = filter(body, plan, (reason) => new GatewayError('upstream.response_not_json', { detail: 'The upstream response could not be filtered: it is not valid JSON.', internal: reason }));
    // Field-usage evidence (allow mode only): counted in memory, flushed in batches by the service.
    if (usage !== undefined && direction.mode === 'allow') usage.record(ctx.route.name, ctx.principal?.consumerId ?? '-', outcome.present, clock.now());
    if (outcome.changed) {
      response.body.replace(Buffer.from(outcome.text));
      ctx.logFields.responseFieldsFiltered = true;
    }
  };
}

function requestFilter(plan: FilterPlan, direction: DirectionConfig) {
  return async function filterRequestFields(ctx: RequestContext): Promise<void> {
    if (ctx.isPreflight || !requestHasBody(ctx.req)) return;
    if (!isPlainJsonBody(ctx.req)) {
      if (direction.otherMediaTypes === 'pass') return;
      throw new GatewayError('request.unsupported_media_type', { detail: 'This route filters the fields of the body: send it as unencoded application/json.' });
    }
    // The body as validated (the transform phase runs after validate): the one the fields are cut from.
    const body = await ctx.readBody();
    if (body.length === 0) return;
    const outcome = filter(body, plan, (reason) =>
      new GatewayError('validation.failed', { detail: 'The request body is not valid JSON.', extensions: { errors: [{ pointer: '/body', keyword: 'json', message: reason }] } }),
    );
    if (outcome.changed) {
      // The proxy sends the replacement with its own Content-Length.
      ctx.replaceBody(Buffer.from(outcome.text));
      ctx.logFields.requestFieldsFiltered = true;
    }
  };
}

function filter(body: Buffer, plan: FilterPlan, refuse: (reason: string) => GatewayError): FilterOutcome {
  const text = decodeUtf8(body);
  if (text === undefined) throw refuse('the body is not valid UTF-8');
  try {
    return filterJson(text, plan);
  } catch (error) {
    if (error instanceof JsonFilterError) throw refuse(error.message);
    throw error;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
