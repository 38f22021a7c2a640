/**
 * Request validation against an OpenAPI 3.0/3.1 contract (issue #5). A route binds to one
 * operation (by operationId or "METHOD /path"), or to the whole document, in which case each request
 * is matched to its operation by method and path (404/405 outside the document). Parameters, headers,
 * cookies and JSON or form bodies are checked with validators compiled once at load; safe limits
 * (body size, depth, string and array length, properties) and refusals of duplicate and
 * prototype-pollution keys apply whatever the schema says. Every problem comes back at once as
 * 400 validation.failed with a JSON pointer per error; nothing reaches the upstream.
 */
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { defineStateKey } from '../../core/request-state.js';
import { ContractError } from '../../openapi/openapi-document.js';
import { describeAjvErrors, loadContract, type CompiledContract, type CompiledOperation } from '../../openapi/contract.js';
import type { RequestProblem } from '../../openapi/parameters.js';
import { contentFor, mediaTypeOf, selectMedia, validateBody, validateParameters, type ValidationLimits } from '../../openapi/request-validator.js';
import { validationLimitsSchema } from '../../openapi/validation-limits.js';
import { suggest } from '../../core/suggest.js';
import { compilePathTemplate } from '../../http/path-template.js';
import { Router } from '../../http/router.js';
import { requestHasBody } from '../../http/request-body.js';
import { compileContractSecurity, enforceOperationSecurity } from './contract-security.js';

const OPERATION = '^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) /.*$';

const configSchema = policyConfig(
  {
    contract: Type.Optional(Type.String({ filePath: true, description: 'The OpenAPI 3.0/3.1 document (YAML or JSON), relative to the config file.' })),
    operationId: Type.Optional(Type.String({ minLength: 1, description: 'Bind the route to this operation.' })),
    operation: Type.Optional(Type.String({ pattern: OPERATION, description: 'Bind the route to this operation by method and document path, e.g. "POST /payments/{id}".' })),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/', description: 'Without an operation: removed from the request path before it is matched to the document paths (e.g. /v1).' })),
    unknownBodyProperties: Type.Unsafe<'reject' | 'allow'>({ type: 'string', enum: ['reject', 'allow'], default: 'reject', description: 'reject: object schemas that list properties refuse others (unless they say additionalProperties); allow: as the document says.' }),
    unknownQueryParameters: Type.Unsafe<'reject' | 'allow'>({ type: 'string', enum: ['reject', 'allow'], default: 'allow', description: 'reject: query parameters the operation does not declare are errors.' }),
    security: Type.Unsafe<'off' | 'enforce'>({
      type: 'string',
      enum: ['off', 'enforce'],
      default: 'off',
      description: "enforce: each operation's `security` (else the document's) decides which credentials a request needs and with which scopes, checked once the request is matched to its operation; the route's authentication policies then run with required: false (docs/validation.md#security-from-the-contract).",
    }),
    maxErrors: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Most errors listed in one problem response.' }),
    limits: validationLimitsSchema,
    responses: Type.Object(
      {
        mode: Type.Unsafe<'off' | 'report' | 'block'>({ type: 'string', enum: ['off', 'report', 'block'], default: 'off', description: 'off; report: log and count responses that break the contract, send them anyway; block: answer 502 upstream.contract_violation instead.' }),
        maxBodyBytes: Type.Integer({ minimum: 0, maximum: 10 * 1024 * 1024, default: 1024 * 1024, description: 'Largest response body read to check it, in decoded bytes; larger ones are streamed unchecked (and logged), a coded one that decodes past it is refused (502 upstream.response_too_large).' }),
      },
      { additionalProperties: false, default: {}, description: 'Response validation against the contract (status, media type, JSON body).' },
    ),
  },
  'Validates requests against an OpenAPI contract before they reach the upstream.',
);

type ValidateConfig = (typeof configSchema)['static'];

function operationSelector(config: ValidateConfig): { operationId?: string; method?: string; path?: string } | undefined {
  if (config.operationId !== undefined) return { operationId: config.operationId };
  if (config.operation !== undefined) {
    const space = config.operation.indexOf(' ');
    return { method: config.operation.slice(0, space), path: config.operation.slice(space + 1) };
  }
  return undefined;
}

function contractOptions(config: ValidateConfig) {
  return { strictBodies: config.unknownBodyProperties === 'reject', responses: config.responses.mode !== 'off' };
}

export const validate = definePolicy({
  name: 'validate',
  description: 'Validates parameters, headers, cookies and bodies against an OpenAPI contract.',
  enabledByDefault: false,
  configSchema,
  watchedFiles(config) {
    return config.enabled !== false && config.contract !== undefined ? [config.contract] : [];
  },
  check(config) {
    const issues: ConfigIssue[] = [];
    if (config.enabled === false) return issues;
    if (config.contract === undefined) return [{ path: 'contract', message: 'is required' }];
    if (config.operationId !== undefined && config.operation !== undefined) issues.push({ path: 'operation', message: 'use operationId or operation, not both' });
    let contract: CompiledContract;
    try {
      contract = loadContract(config.contract, contractOptions(config));
    } catch (error) {
      if (error instanceof ContractError) return [...issues, { path: 'contract', message: error.message }];
      throw error;
    }
    const selector = operationSelector(config);
    if (selector && !contract.findOperation(selector)) {
      const byId = selector.operationId !== undefined;
      const known = contract.operations.map((op) => (byId ? op.operation.operationId : `${op.operation.method} ${op.operation.path}`)).filter((name): name is string => name !== undefined);
      const hint = suggest(byId ? selector.operationId! : config.operation!, known);
      issues.push({ path: byId ? 'operationId' : 'operation', message: `the contract has no operation ${byId ? `with operationId "${selector.operationId}"` : `"${config.operation}"`}${hint ? ` (did you mean "${hint}"?)` : ''}` });
    }
    if (selector && config.pathPrefix !== undefined) issues.push({ path: 'pathPrefix', message: 'applies only when the whole document is bound (no operationId or operation)' });
    return issues;
  },
  create(config, deps) {
    const contract = loadContract(config.contract!, contractOptions(config));
    deps.logger.debug({ event: 'validate.contract_loaded', operations: contract.operations.length, compileMs: Math.round(contract.compileMs) }, 'contract compiled');
    const selector = operationSelector(config);
    const bound = selector && contract.findOperation(selector);
    if (selector && !bound) throw new Error(`the contract has no operation ${JSON.stringify(selector)}`);
    const find = bound ? undefined : operationFinder(contract, config.pathPrefix);
    const limits: ValidationLimits = config.limits;
    const options = { rejectUnknownQuery: config.unknownQueryParameters === 'reject', limits };
    const security = config.security === 'enforce' ? compileContractSecurity(contract) : undefined;
    type Match = { operation: CompiledOperation; pathValues: Record<string, string> | undefined };
    const match = (ctx: RequestContext): Match => (bound ? { operation: bound, pathValues: matchSuffix(bound, ctx.path) } : find!(ctx.method, ctx.path));
    /** The authorize phase's match, reused by the validate phase: one match per request. */
    const early = defineStateKey<Match>('validate.match');

    function fail(ctx: RequestContext, problems: RequestProblem[]): never {
      deps.services.metrics?.validationFailure?.(ctx.route.name);
      ctx.logFields.validationErrors = problems.length;
      const shown = problems.slice(0, config.maxErrors);
      const more = problems.length > shown.length ? ` (the first ${shown.length} are listed)` : '';
      throw new GatewayError('validation.failed', {
        detail: `The request does not match the API contract: ${problems.length} problem${problems.length === 1 ? '' : 's'}${more}.`,
        extensions: { errors: shown },
      });
    }

    /** The operation each request was matched to, for its response (this instance's own key). */
    const matched = defineStateKey<CompiledOperation>('validate.operation');
    const responseMode = config.responses.mode;

    return {
      respondReadsBody: responseMode !== 'off',
      // The contract's security needs the operation: matched here, after authentication and
      // before limits, so an unauthenticated request costs no rate-limit budget.
      authorize: security
        ? function enforceContractSecurity(ctx) {
            if (ctx.isPreflight) return;
            const found = match(ctx);
            ctx.state.set(early, found);
            enforceOperationSecurity(ctx, security.get(found.operation)!);
          }
        : undefined,
      validate: function validateRequest(ctx) {
        // A CORS preflight is answered by the cors policy; it carries none of the operation's inputs.
        if (ctx.isPreflight) return;
        const found = ctx.state.get(early) ?? match(ctx);
        const { operation } = found;
        if (responseMode !== 'off') ctx.state.set(matched, operation);
        // Node builds headersDistinct on first use: only for an operation that declares headers.
        const headerLines = operation.parameters.header.validate ? ctx.req.headersDistinct : undefined;
        const problems = validateParameters(operation, { pathValues: found.pathValues, search: ctx.search, headers: ctx.req.headers, ...(headerLines ? { headerLines } : {}) }, options);
        // No body declared and none sent (most GETs): answered without waiting on anything.
        if (!operation.body && !requestHasBody(ctx.req)) {
          if (problems.length > 0) fail(ctx, problems);
          return;
        }
        return checkBody(ctx, operation, limits).then((bodyProblems) => {
          problems.push(...bodyProblems);
          if (problems.length > 0) fail(ctx, problems);
        });
      },
      respond:
        responseMode === 'off'
          ? undefined
          : async function validateResponse(ctx) {
              const operation = ctx.state.get(matched);
              const response = ctx.response;
              if (!operation || !response || response.source !== 'upstream') return;
              const drift = await checkResponse(ctx, operation, config.responses.maxBodyBytes, responseMode);
              if (drift === undefined || drift.length === 0) {
                if (drift === undefined) ctx.logFields.responseUnchecked = true;
                return;
              }
              deps.services.metrics?.contractViolation?.(ctx.route.name, responseMode);
              ctx.logFields.responseDrift = drift.length;
              deps.logger.warn(
                { event: 'validate.response_drift', requestId: ctx.requestId, route: ctx.route.name, operation: operation.operation.operationId ?? `${operation.operation.method} ${operation.operation.path}`, status: response.status, action: responseMode, errors: drift.slice(0, 10) },
                'an upstream response does not match the API contract',
              );
              if (responseMode === 'block') {
                throw new GatewayError('upstream.contract_violation', { detail: 'The upstream answered with a response that does not match the API contract.' });
              }
            },
    };
  },
});

/**
 * The upstream's response against the operation's responses: a declared status (exact, `4XX`,
 * `default`), a declared media type, and a JSON body that matches its schema. undefined when it
 * could not be checked (a body larger than the limit).
 */
async function checkResponse(ctx: RequestContext, operation: CompiledOperation, maxBodyBytes: number, mode: 'report' | 'block'): Promise<RequestProblem[] | undefined> {
  const response = ctx.response!;
  const declared = operation.responses;
  if (declared.size === 0) return [];
  const status = String(response.status);
  const media = declared.get(status) ?? declared.get(`${status[0]}XX`) ?? declared.get('DEFAULT');
  if (!media) return [{ pointer: '/response/status', keyword: 'undeclared', message: `status ${status} is not declared for this operation` }];
  // RFC 9110 §9.3.2, §15.3.5, §15.4.5: no content with HEAD, 204 or 304.
  if (ctx.method === 'HEAD' || response.status === 204 || response.status === 304) return [];
  const type = mediaTypeOf(stringHeader(response.headers['content-type']));
  const length = stringHeader(response.headers['content-length']);
  if (media.length === 0) {
    if (type === undefined && (length === undefined || length === '0')) return [];
    const body = await readResponseBody(ctx, maxBodyBytes, mode);
    return body === undefined || body.length > 0 ? [{ pointer: '/response/body', keyword: 'undeclared', message: 'this response declares no content' }] : [];
  }
  const chosen = type && selectMedia(media, type.mediaType);
  if (!chosen) return [{ pointer: '/response/header/content-type', keyword: 'undeclared', message: `${type?.mediaType ?? 'no media type'} is not declared for status ${status}` }];
  if (chosen.kind !== 'json' || !chosen.validate) return [];
  const body = await readResponseBody(ctx, maxBodyBytes, mode);
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return [{ pointer: '/response/body', keyword: 'json', message: 'is not valid JSON' }];
  }
  return chosen.validate(value) ? [] : describeAjvErrors(chosen.validate.errors, 'response/body');
}

/**
 * The response body, decoded from its content coding, up to maxBodyBytes; undefined when it is
 * larger. A body the gateway cannot decode (an unsupported or corrupt coding, a decompression
 * bomb) is refused with its 502 in block mode; report mode never stops a response, so it goes on
 * unchecked, and the log line says why.
 */
async function readResponseBody(ctx: RequestContext, maxBodyBytes: number, mode: 'report' | 'block'): Promise<Buffer | undefined> {
  try {
    return await ctx.response!.body?.read(maxBodyBytes);
  } catch (error) {
    if (mode === 'block' || !(error instanceof GatewayError)) throw error;
    ctx.logFields.responseUncheckedReason = error.code;
    return undefined;
  }
}

/** For a route bound to one operation: the document's template matches the end of the path, so a gateway prefix (/v1) does not matter. */
function matchSuffix(operation: CompiledOperation, path: string): Record<string, string> | undefined {
  const segments = path.slice(1).split('/');
  if (segments.length < operation.path.segmentCount) return undefined;
  return operation.path.match(segments.slice(segments.length - operation.path.segmentCount));
}

/** For a route bound to the whole document: the operation for a method and path, or 404/405. */
function operationFinder(contract: CompiledContract, pathPrefix: string | undefined) {
  const prefix = pathPrefix?.replace(/\/+$/, '') ?? '';
  const router = new Router(
    contract.operations.map((operation) => {
      const template = compilePathTemplate(operation.path.routeTemplate);
      if (!template.ok) throw new Error(`operation path ${operation.operation.path} does not translate: ${template.message}`);
      return { route: operation, methods: [operation.operation.method], segments: template.segments, host: undefined };
    }),
  );
  return function findOperation(method: string, path: string): { operation: CompiledOperation; pathValues: Record<string, string> | undefined } {
    const inside = prefix === '' ? path : path === prefix ? '/' : path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
    if (inside === undefined) throw new GatewayError('route.not_found', { detail: 'The API contract has no operation at this path.' });
    const segments = inside.slice(1).split('/');
    const match = router.match(method, '', inside);
    if (match.kind === 'found') {
      const values = match.route.path.match(segments);
      if (values) return { operation: match.route, pathValues: values };
      // Two templates with the same shape (`/a/{x}.json`, `/a/{y}`): try the others.
      for (const operation of contract.operations) {
        if (operation.operation.method !== method && !(method === 'HEAD' && operation.operation.method === 'GET')) continue;
        const other = operation.path.match(segments);
        if (other) return { operation, pathValues: other };
      }
      throw new GatewayError('route.not_found', { detail: 'The API contract has no operation at this path.' });
    }
    if (match.kind === 'method_not_allowed') {
      throw new GatewayError('route.method_not_allowed', { detail: `The API contract does not allow ${method} here.`, headers: { allow: match.allow.join(', ') } });
    }
    throw new GatewayError('route.not_found', { detail: 'The API contract has no operation at this path.' });
  };
}

/** The body against the operation's request body: presence, media type, then content. */
async function checkBody(ctx: RequestContext, operation: CompiledOperation, limits: ValidationLimits): Promise<RequestProblem[]> {
  const declared = operation.body;
  const present = requestHasBody(ctx.req);
  if (!declared) {
    if (!present) return [];
    const body = await readLimited(ctx, limits);
    return body.length === 0 ? [] : [{ pointer: '/body', keyword: 'notAllowed', message: 'this operation takes no request body' }];
  }
  if (!present) return declared.required ? [{ pointer: '/body', keyword: 'required', message: 'is required' }] : [];
  const type = mediaTypeOf(stringHeader(ctx.req.headers['content-type']));
  const selected = type && declared.media.length > 0 ? selectMedia(declared.media, type.mediaType) : undefined;
  const media = selected && contentFor(selected, type!.mediaType);
  if (declared.media.length > 0 && !media) {
    // RFC 5789 §3.1 (Accept-Patch) and its POST counterpart tell the client what would be accepted.
    // Each type once: a document may declare one type with and without parameters
    // (`application/json` and `application/json; charset=utf-8`), which compile to one.
    const types = [...new Set(declared.media.map((m) => m.mediaType))];
    const accepted = types.join(', ');
    const headers: Record<string, string> = ctx.method === 'PATCH' ? { 'accept-patch': accepted } : ctx.method === 'POST' ? { 'accept-post': accepted } : {};
    throw new GatewayError('request.unsupported_media_type', { detail: `Send the body as ${types.join(' or ')}.`, headers });
  }
  // A wildcard declaration whose schema describes structured data (`*\/*` with an object schema):
  // content the gateway cannot read (text/plain, YAML, multipart...) would reach the upstream
  // unchecked, and many upstreams parse it as JSON or YAML anyway. Refused, naming what is read.
  if (media && media.kind === 'other' && (media.asJson || media.asForm)) {
    const readable = media.asForm ? 'application/json (or another JSON type) or application/x-www-form-urlencoded' : 'application/json (or another JSON type)';
    throw new GatewayError('request.unsupported_media_type', { detail: `This body is validated: send it as ${readable}.` });
  }
  if (!media || media.kind === 'other') return [];
  const encoding = stringHeader(ctx.req.headers['content-encoding'])?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') {
    throw new GatewayError('request.unsupported_media_type', { detail: 'This body is validated: send it without Content-Encoding.' });
  }
  // RFC 8259 §8.1: JSON exchanged between systems is UTF-8; form fields are read as UTF-8 too.
  if (type!.charset !== undefined && type!.charset !== 'utf-8' && type!.charset !== 'utf8' && type!.charset !== 'us-ascii') {
    throw new GatewayError('request.unsupported_media_type', { detail: 'Send the body in UTF-8.' });
  }
  const body = await readLimited(ctx, limits);
  if (body.length === 0) return declared.required ? [{ pointer: '/body', keyword: 'required', message: 'is required' }] : [];
  // A JSON body is read through the context's one parse (after sanitize, of the bytes it forwards).
  return validateBody(media, body, limits, media.kind === 'json' ? await ctx.readJson(limits) : undefined);
}

function readLimited(ctx: RequestContext, limits: ValidationLimits): Promise<Buffer> {
  ctx.maxBodyBytes = Math.min(ctx.maxBodyBytes, limits.maxBodyBytes);
  return ctx.readBody();
}

function stringHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
