/**
 * The admin API (JSON, on the admin listener, loopback by default): consumers and API keys. Until
 * admin users arrive, it requires the bootstrap token from `admin.token` (a secret reference),
 * compared in constant time, with the same brute-force throttle as client authentication. A store
 * failure is a 503 problem and an error log line, never mistaken for "not found".
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { Clock } from '../core/clock.js';
import { CONSUMER_ID_PATTERN } from '../core/consumer-id.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { AuthFailureTracker } from '../core/services.js';
import { writeBareProblem } from '../core/problem.js';
import type { SecretValue } from '../config/secret.js';
import { KeyLifetimeError, type KeyService } from '../keys/key-service.js';
import type { Logger } from '../observability/logger.js';
import { ClientInputError, type ClientService } from '../oauth/client-service.js';
import type { SigningKeyService } from '../oauth/signing-key-service.js';
import { parseJsonSafely, type JsonLimits } from '../openapi/safe-json.js';
import { normalizeIp } from '../server/client-ip.js';
import { ConflictError, isUniqueViolation, NotFoundError, type ConsumerRepository } from '../store/repositories.js';
import type { RateLimitOverrideRepository } from '../store/rate-limit-overrides.js';
import { consumerView, overrideView } from './views.js';

const MAX_BODY_BYTES = 64 * 1024;
/** Admin bodies are bounded by MAX_BODY_BYTES; these bounds only keep the walk shallow. */
const ADMIN_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: MAX_BODY_BYTES, maxArrayLength: MAX_BODY_BYTES, maxProperties: MAX_BODY_BYTES };
const ADMIN_PRINCIPAL = 'bootstrap-admin';

/** An existing consumer's id: never anything a consumer id cannot hold (core/consumer-id.ts). */
const ConsumerId = Type.String({ pattern: CONSUMER_ID_PATTERN, maxLength: 64 });
const Scope = Type.String({ pattern: '^[!#-\\[\\]-~]+$', maxLength: 128 });
const schemas = {
  createConsumer: Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$' }), metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
  createKey: Type.Object(
    {
      consumerId: ConsumerId,
      name: Type.String({ minLength: 1, maxLength: 100 }),
      scopes: Type.Array(Scope, { default: [], maxItems: 100 }),
      expiresInDays: Type.Optional(Type.Integer({ minimum: 1 })),
      environment: Type.Optional(Type.String({ pattern: '^[a-z]{2,8}$' })),
    },
    { additionalProperties: false },
  ),
  createClient: Type.Object(
    {
      consumerId: ConsumerId,
      name: Type.String({ minLength: 1, maxLength: 100 }),
      scopes: Type.Array(Scope, { default: [], maxItems: 100 }),
      jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 10 }) }, { additionalProperties: false })),
      secret: Type.Boolean({ default: true }),
    },
    { additionalProperties: false },
  ),
  rotateClient: Type.Object({ gracePeriodSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400 }) }, { additionalProperties: false }),
  empty: Type.Object({}, { additionalProperties: false }),
  setRateLimitOverride: Type.Object(
    {
      subjectType: Type.Union([Type.Literal('consumer'), Type.Literal('api_key')]),
      subjectId: Type.String({ pattern: CONSUMER_ID_PATTERN, maxLength: 64 }),
      limitName: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }),
      limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
      windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
      burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    },
    { additionalProperties: false },
  ),
  rotateKey: Type.Object({ gracePeriodSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400 }), expiresInDays: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
};
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validators = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, ajv.compile(schema)])) as Record<keyof typeof schemas, ReturnType<typeof ajv.compile>>;

export interface AdminApiDeps {
  readonly token: SecretValue | undefined;
  readonly consumers: ConsumerRepository | undefined;
  readonly keys: KeyService | undefined;
  /** The built-in authorization server's clients and signing keys, when `oauth` is configured. */
  readonly oauth?: { clients: ClientService; signingKeys: SigningKeyService } | undefined;
  readonly overrides: RateLimitOverrideRepository | undefined;
  /** The rate-limit names the running config has: an override must name one of them. */
  readonly rateLimitNames: () => ReadonlySet<string>;
  readonly failures: AuthFailureTracker | undefined;
  readonly logger: () => Logger;
  readonly clock: Clock;
  readonly typeBaseUrl: () => string;
}

type Handler = (params: Record<string, string>, body: unknown, query: URLSearchParams) => Promise<[number, unknown]>;

export function createAdminApi(deps: AdminApiDeps) {
  const tokenDigest = deps.token ? digest(deps.token.reveal()) : undefined;
  const routes: Array<{ method: string; pattern: RegExp; handle: Handler }> = [];
  const route = (method: string, path: string, handle: Handler) => routes.push({ method, pattern: new RegExp(`^${path.replace(/:(\w+)/g, '(?<$1>[A-Za-z0-9_-]{1,64})')}$`), handle });
  const consumers = () => deps.consumers!;
  const keys = () => deps.keys!;
  const audit = (event: string, fields: Record<string, unknown>) => deps.logger().info({ event, actor: ADMIN_PRINCIPAL, ...fields }, 'admin action');

  route('GET', '/v1/consumers', async () => [200, { items: (await consumers().list()).map(consumerView) }]);
  route('POST', '/v1/consumers', async (_p, body) => {
    const input = body as Static<typeof schemas.createConsumer>;
    const consumer = await consumers().create(input);
    audit('admin.consumer_created', { consumerId: consumer.id });
    return [201, consumerView(consumer)];
  });
  route('GET', '/v1/consumers/:id', async (p) => [200, consumerView(await consumers().get(p.id!))]);
  route('POST', '/v1/consumers/:id/disable', async (p) => {
    const consumer = await consumers().setStatus(p.id!, 'disabled');
    audit('admin.consumer_disabled', { consumerId: consumer.id });
    return [200, consumerView(consumer)];
  });
  route('POST', '/v1/consumers/:id/enable', async (p) => {
    const consumer = await consumers().setStatus(p.id!, 'active');
    audit('admin.consumer_enabled', { consumerId: consumer.id });
    return [200, consumerView(consumer)];
  });
  route('GET', '/v1/keys', async (_p, _b, query) => [200, { items: await keys().list({ consumerId: query.get('consumerId') ?? undefined }) }]);
  route('POST', '/v1/keys', async (_p, body) => {
    const input = body as Static<typeof schemas.createKey>;
    const created = await keys().create({ ...input, createdBy: ADMIN_PRINCIPAL });
    audit('admin.key_created', { keyId: created.view.id, consumerId: created.view.consumerId });
    // `secret` is the API key itself (shown once); `apiKey` is its record, as GET /v1/keys/:id shows it.
    return [201, { secret: created.key, apiKey: created.view }];
  });
  route('GET', '/v1/keys/:id', async (p) => [200, await keys().get(p.id!)]);
  route('POST', '/v1/keys/:id/rotate', async (p, body) => {
    const input = body as Static<typeof schemas.rotateKey>;
    const rotated = await keys().rotate(p.id!, { graceSeconds: input.gracePeriodSeconds, expiresInDays: input.expiresInDays, createdBy: ADMIN_PRINCIPAL });
    audit('admin.key_rotated', { keyId: p.id, replacementId: rotated.view.id, graceSeconds: input.gracePeriodSeconds });
    return [201, { secret: rotated.key, apiKey: rotated.view, previous: rotated.old }];
  });
  route('POST', '/v1/keys/:id/revoke', async (p) => {
    const revoked = await keys().revoke(p.id!);
    audit('admin.key_revoked', { keyId: revoked.id });
    return [200, revoked];
  });

  const oauth = () => {
    if (!deps.oauth) throw new GatewayError('admin.not_found', { detail: 'The built-in authorization server is off: configure the oauth section.' });
    return deps.oauth;
  };
  route('GET', '/v1/oauth/clients', async (_p, _b, query) => [200, { items: await oauth().clients.list({ consumerId: query.get('consumerId') ?? undefined }) }]);
  route('POST', '/v1/oauth/clients', async (_p, body) => {
    const input = body as Static<typeof schemas.createClient>;
    const created = await oauth().clients.create({ ...input, createdBy: ADMIN_PRINCIPAL });
    audit('admin.oauth_client_created', { clientId: created.view.clientId, consumerId: created.view.consumerId });
    return [201, { clientSecret: created.clientSecret, client: created.view }];
  });
  route('GET', '/v1/oauth/clients/:id', async (p) => [200, await oauth().clients.get(p.id!)]);
  route('POST', '/v1/oauth/clients/:id/rotate', async (p, body) => {
    const input = body as Static<typeof schemas.rotateClient>;
    const rotated = await oauth().clients.rotate(p.id!, input.gracePeriodSeconds);
    audit('admin.oauth_client_rotated', { clientId: p.id, graceSeconds: input.gracePeriodSeconds });
    return [200, { clientSecret: rotated.clientSecret, client: rotated.view }];
  });
  route('POST', '/v1/oauth/clients/:id/revoke', async (p) => {
    const revoked = await oauth().clients.revoke(p.id!);
    audit('admin.oauth_client_revoked', { clientId: revoked.clientId });
    return [200, revoked];
  });
  route('GET', '/v1/oauth/signing-keys', async () => [200, { items: await oauth().signingKeys.list() }]);
  route('POST', '/v1/oauth/signing-keys/rotate', async () => {
    const created = await oauth().signingKeys.rotateIfDue(true);
    audit('admin.oauth_signing_key_rotated', { kid: created?.id });
    return [201, { items: await oauth().signingKeys.list() }];
  });

  // Rate-limit overrides (issue #6): applied by every node from the change feed, no restart.
  const overrides = () => deps.overrides!;
  route('GET', '/v1/rate-limit-overrides', async (_p, _b, query) => {
    const subjectType = query.get('subjectType');
    if (subjectType !== null && subjectType !== 'consumer' && subjectType !== 'api_key') throw new GatewayError('admin.invalid_request', { detail: 'subjectType is consumer or api_key.' });
    return [200, { items: (await overrides().list({ subjectType: subjectType ?? undefined, subjectId: query.get('subjectId') ?? undefined })).map(overrideView) }];
  });
  route('POST', '/v1/rate-limit-overrides', async (_p, body) => {
    const input = body as Static<typeof schemas.setRateLimitOverride>;
    // An override for a mistyped name or id would silently do nothing: refuse both.
    const known = deps.rateLimitNames();
    if (!known.has(input.limitName)) {
      throw new GatewayError('admin.invalid_request', { detail: `No rate limit is named "${input.limitName}" in the running config (known: ${[...known].sort().join(', ') || 'none'}).` });
    }
    if (input.subjectType === 'consumer') await consumers().get(input.subjectId);
    else await keys().get(input.subjectId);
    const override = await overrides().set({ ...input, windowSeconds: input.windowSeconds ?? null, burst: input.burst ?? null });
    audit('admin.rate_limit_override_set', { overrideId: override.id, subjectType: override.subjectType, subjectId: override.subjectId, limitName: override.limitName, limit: override.limit });
    return [200, overrideView(override)];
  });
  route('GET', '/v1/rate-limit-overrides/:id', async (p) => [200, overrideView(await overrides().get(p.id!))]);
  route('DELETE', '/v1/rate-limit-overrides/:id', async (p) => {
    await overrides().delete(p.id!);
    audit('admin.rate_limit_override_deleted', { overrideId: p.id });
    return [200, { deleted: p.id }];
  });

  const bodySchemaFor: Record<string, keyof typeof schemas | undefined> = {
    'POST /v1/consumers': 'createConsumer',
    'POST /v1/keys': 'createKey',
    'POST /v1/oauth/clients': 'createClient',
    'POST /v1/oauth/signing-keys/rotate': 'empty',
    'POST /v1/rate-limit-overrides': 'setRateLimitOverride',
  };

  /** Handles /v1/*; returns false for other paths (health endpoints). */
  return async function handleAdminApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const [path = '/', queryText = ''] = (req.url ?? '/').split('?');
    if (!path.startsWith('/v1/')) return false;
    const requestId = randomUUID();
    const fail = (error: GatewayError) => writeBareProblem(res, error, requestId, deps.typeBaseUrl());
    try {
      if (!tokenDigest || !deps.consumers || !deps.keys) {
        fail(new GatewayError('route.not_found', { detail: 'The admin API is off: configure admin.token, store and apiKeys.' }));
        return true;
      }
      authenticate(req, tokenDigest, deps);
      const method = req.method ?? 'GET';
      const matches = routes.filter((r) => r.pattern.test(path));
      const match = matches.find((r) => r.method === method);
      if (!match) {
        if (matches.length > 0) fail(new GatewayError('route.method_not_allowed', { headers: { allow: matches.map((r) => r.method).join(', ') } }));
        else fail(new GatewayError('route.not_found', { detail: 'No such admin endpoint.' }));
        return true;
      }
      const params = match.pattern.exec(path)!.groups ?? {};
      const schemaName = bodySchemaFor[`${method} ${path}`] ?? (path.startsWith('/v1/oauth/clients/') && path.endsWith('/rotate') ? 'rotateClient' : path.endsWith('/rotate') ? 'rotateKey' : undefined);
      const body = method === 'POST' ? validate(schemaName, await readJson(req)) : undefined;
      const [status, payload] = await match.handle(params, body, new URLSearchParams(queryText));
      const text = JSON.stringify(payload);
      // Responses may hold a new key: never cached anywhere.
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-request-id': requestId });
      res.end(text);
    } catch (error) {
      fail(toAdminError(error, deps.logger(), requestId));
    }
    return true;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authenticate(req: IncomingMessage, tokenDigest: Buffer, deps: AdminApiDeps): void {
  const clientIp = normalizeIp(req.socket.remoteAddress);
  const now = deps.clock.now();
  const blockedFor = deps.failures?.blockedForSeconds(clientIp, now) ?? 0;
  if (blockedFor > 0) throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts; try again later.', headers: { 'retry-after': String(blockedFor) } });
  // Node keeps the first of two Authorization headers: a credential must be named once instead.
  if (countHeader(req.rawHeaders, 'authorization') > 1) throw new GatewayError('request.malformed', { detail: 'The request carries Authorization more than once: a credential must be named once.' });
  const header = req.headers.authorization ?? '';
  const presented = /^bearer /i.test(header) ? header.slice(7).trim() : '';
  // Equal-length digests, so the comparison time says nothing about the token.
  if (presented === '' || !timingSafeEqual(digest(presented), tokenDigest)) {
    deps.failures?.recordFailure(clientIp, now);
    deps.logger().warn({ event: 'admin.auth_failed', clientIp }, 'admin API: missing or wrong token');
    throw new GatewayError('admin.unauthorized', { detail: 'Send the admin token as Authorization: Bearer <token>.', headers: { 'www-authenticate': 'Bearer realm="portcullis-admin"' } });
  }
}

function countHeader(raw: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count++;
  return count;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new GatewayError('request.body_too_large', { detail: `Admin request bodies are limited to ${MAX_BODY_BYTES} bytes.` });
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // The client went away mid-body: its problem, not the store's.
    throw new GatewayError('request.malformed', { detail: 'The request body was not received.' });
  }
  if (size === 0) return {};
  // Strict JSON, no repeated member names (a client's jwks with two `kid`s or two `n`s would be
  // one key to this check and another to whoever reads it later).
  const parsed = parseJsonSafely(Buffer.concat(chunks), ADMIN_JSON_LIMITS, { caseVariants: 'allow' });
  if (!parsed.ok) throw new GatewayError('admin.invalid_request', { detail: `The body ${parsed.problem.keyword === 'duplicateKey' ? `has the member ${parsed.problem.pointer} more than once` : 'is not valid JSON'}.` });
  return parsed.value;
}

function validate(schemaName: keyof typeof schemas | undefined, body: unknown): unknown {
  if (!schemaName) return body;
  const check = validators[schemaName];
  if (check(body)) return body;
  const errors = (check.errors ?? []).map((e) => ({
    pointer: e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath || '/',
    keyword: e.keyword,
    message: e.keyword === 'additionalProperties' ? 'unknown property' : (e.message ?? 'is not valid'),
  }));
  throw new GatewayError('admin.invalid_request', { detail: 'The body does not match the endpoint.', extensions: { errors } });
}

function toAdminError(error: unknown, logger: Logger, requestId: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof NotFoundError) return new GatewayError('admin.not_found', { detail: error.message });
  if (error instanceof ConflictError) return new GatewayError('admin.conflict', { detail: error.message });
  if (error instanceof ClientInputError) return new GatewayError('admin.invalid_request', { detail: error.message });
  if (error instanceof KeyLifetimeError) return new GatewayError('admin.invalid_request', { detail: error.message });
  // Two creates racing for one name: the database's constraint decides, and that is a conflict.
  if (isUniqueViolation(error)) return new GatewayError('admin.conflict', { detail: 'An entity with that name or id exists already.' });
  // Everything else came from the store the handlers talk to: an outage is not an answer.
  logger.error({ event: 'admin.store_failed', requestId, err: error }, 'admin API: the store failed');
  return new GatewayError('store.unavailable', { detail: 'The store did not answer; try again.', internal: toGatewayError(error).internal });
}

