/**
 * Upstream credentials (issue 19 §6): what the gateway injects into requests to third parties.
 * Settings name secrets by reference only; no route ever answers with a secret or a token (there
 * is nothing to reveal here: `credentials:reveal` is the vault's). Operator-obtained tokens come
 * in (a refresh token, or an authorization code the gateway exchanges itself, so the client's
 * secret never leaves the gateway) and are stored sealed.
 */
import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { GatewayError } from '../../core/errors.js';
import { effectiveExpiry, expiringWithin } from '../../credentials/lifecycle.js';
import type { OpenedCredentials } from '../../credentials/open-credentials.js';
import { SETTINGS_BY_KIND, settingsIssues, type OAuthCredentialSettings } from '../../credentials/settings.js';
import { unresolvedCredentialSecrets } from '../../credentials/vault-references.js';
import { lockRevision } from '../../store/store.js';
import type { UpstreamCredentialRow } from '../../store/upstream-credentials.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { isoTime } from '../views.js';
import { ConsumerId, NullableTimestamp, requireService, Timestamp } from './common.js';

const credentialsOff = 'Upstream credentials (they need the store section)';
const opened = (services: AdminServices): OpenedCredentials => requireService(services.credentials, credentialsOff);

export const CREDENTIAL_NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const Kind = Type.Union([Type.Literal('static'), Type.Literal('client_credentials'), Type.Literal('refresh_token')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('quarantined'), Type.Literal('revoked'), Type.Literal('expired')]);

export const CredentialSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Kind,
    settings: Type.Record(Type.String(), Type.Unknown(), { description: 'Endpoints, client id and secret references (never values).' }),
    status: Status,
    statusReason: Type.Union([Type.String(), Type.Null()]),
    owner: Type.String(),
    consumerId: Type.Union([Type.String(), Type.Null()]),
    expiresAt: NullableTimestamp,
    maxAgeDays: Type.Union([Type.Integer(), Type.Null()]),
    disableIfUnusedDays: Type.Union([Type.Integer(), Type.Null()]),
    effectiveExpiresAt: Timestamp,
    lastUsedAt: NullableTimestamp,
    tokenVersion: Type.Integer(),
    hasTokens: Type.Boolean({ description: 'Tokens are stored (sealed) for this credential.' }),
    tokenExpiresAt: NullableTimestamp,
    refreshedAt: NullableTimestamp,
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'The last failed token request (cleared by the next success); never a secret.' }),
    lastErrorAt: NullableTimestamp,
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const CreateCredential = Type.Object(
  {
    name: Type.String({ pattern: CREDENTIAL_NAME }),
    kind: Kind,
    settings: Type.Record(Type.String(), Type.Unknown()),
    owner: Type.String({ minLength: 1, maxLength: 200, description: 'Who answers for it (a team, an address).' }),
    consumerId: Type.Optional(ConsumerId),
    expiresAt: Type.Optional(Timestamp),
    maxAgeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    disableIfUnusedDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

const ajv = new Ajv({ allErrors: true, strict: false });
const settingsValidators = Object.fromEntries(Object.entries(SETTINGS_BY_KIND).map(([kind, schema]) => [kind, ajv.compile(schema)]));

function view(row: UpstreamCredentialRow, credentials: OpenedCredentials) {
  const t = (ms: number | null) => (ms === null ? null : isoTime(ms));
  const { tokensSealed, ...rest } = row;
  return {
    ...rest,
    expiresAt: t(row.expiresAt),
    effectiveExpiresAt: isoTime(effectiveExpiry(row, credentials.defaults).at),
    lastUsedAt: t(row.lastUsedAt),
    hasTokens: tokensSealed !== null,
    tokenExpiresAt: t(row.tokenExpiresAt),
    refreshedAt: t(row.refreshedAt),
    lastErrorAt: t(row.lastErrorAt),
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
  };
}

const byId = (path: string, summary: string, permission: string, extra: Partial<Parameters<typeof defineRoute>[0]> = {}) => ({ method: 'POST' as const, path: `/v1/credentials/:id${path}`, summary, permission, status: 200 as const, responseSchema: CredentialSchema, ...extra });

export const credentialRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/credentials',
    summary: 'List upstream credentials, in id order; expiringWithinDays: only those expiring that soon',
    permission: 'credentials:read',
    querySchema: listQuery({ expiringWithinDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })) }),
    status: 200,
    responseSchema: listOf(CredentialSchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ query, services }) {
      const credentials = opened(services);
      const page = await paginate(query, async (p) => {
        const rows = await credentials.repository.list(p);
        return query.expiringWithinDays === undefined ? rows : expiringWithin(rows, credentials.now(), query.expiringWithinDays * 86_400_000, credentials.defaults);
      }, (row) => row.id);
      return { items: page.items.map((row) => view(row, credentials)), nextCursor: page.nextCursor };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/credentials',
    summary: 'Create an upstream credential (secrets by reference: ${env:NAME} or ${secret:NAME})',
    permission: 'credentials:write',
    bodySchema: CreateCredential,
    status: 201,
    responseSchema: CredentialSchema,
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict', 'admin.secret_unresolved'],
    async handler({ body, principal, services }) {
      const credentials = opened(services);
      const validate = settingsValidators[body.kind]!;
      if (!validate(body.settings)) throw new GatewayError('admin.invalid_request', { detail: `settings: ${ajv.errorsText(validate.errors, { dataVar: 'settings' })}` });
      const issues = settingsIssues(body.kind, body.settings);
      if (issues.length > 0) throw new GatewayError('admin.invalid_request', { detail: `settings: ${issues.join('; ')}` });
      if (body.consumerId !== undefined) await services.consumers!.get(body.consumerId);
      const row = await services.store!.write(principal, 'upstream_credential.create', async (tx) => {
        // Under the writers' lock, as secret deletion reads its references: a secret deleted
        // meanwhile is either seen missing here or sees this credential and refuses (409).
        await lockRevision(tx);
        const unresolved = await unresolvedCredentialSecrets(tx.db, body.settings, services.vault !== undefined);
        if (unresolved.length > 0) {
          throw new GatewayError('admin.secret_unresolved', {
            detail: `settings: ${unresolved.map((item) => `${item.field} ${item.reference}: ${item.why}`).join('; ')}. Set the secret first (portcullis secrets set NAME), or correct the name.`,
            extensions: { unresolved: unresolved.map((item) => ({ field: item.field, reference: item.reference, reason: item.why })) },
          });
        }
        return credentials.repository.create(tx, { ...body, expiresAt: body.expiresAt === undefined ? null : Date.parse(body.expiresAt) });
      });
      return view(row, credentials);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/credentials/:id',
    summary: 'Show an upstream credential and its state (never a secret or a token)',
    permission: 'credentials:read',
    status: 200,
    responseSchema: CredentialSchema,
    errors: ['admin.not_found'],
    handler: async ({ params, services }) => view(await opened(services).repository.get(params.id!), opened(services)),
  }),
  defineRoute({
    ...byId('/refresh', 'Obtain a new token now (client credentials or refresh token)', 'credentials:write'),
    errors: ['admin.not_found', 'admin.conflict', 'upstream.credential_unavailable'],
    async handler({ params, services }) {
      const credentials = opened(services);
      await credentials.service.refreshNow(params.id!);
      return view(await credentials.repository.get(params.id!), credentials);
    },
  }),
  defineRoute({
    ...byId('/revoke', 'Revoke an upstream credential for good (reason: leaked, rotated, …)', 'credentials:write'),
    bodySchema: Type.Object({ reason: Type.String({ pattern: '^[a-z0-9_-]{1,40}$', description: 'Why, e.g. leaked.' }) }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    handler: async ({ params, body, principal, services }) => view(await opened(services).service.setStatus(params.id!, 'revoked', body.reason, principal), opened(services)),
  }),
  defineRoute({
    ...byId('/release', 'Release a quarantined upstream credential: it is injected again', 'credentials:write'),
    errors: ['admin.not_found', 'admin.conflict'],
    async handler({ params, principal, services }) {
      const credentials = opened(services);
      const row = await credentials.repository.get(params.id!);
      if (row.status !== 'quarantined') throw new GatewayError('admin.conflict', { detail: `the credential is ${row.status}, not quarantined` });
      return view(await credentials.service.setStatus(row.id, 'active', 'released', principal), credentials);
    },
  }),
  defineRoute({
    ...byId('/refresh-token', 'Store a refresh token an operator obtained (sealed; never shown again)', 'credentials:write'),
    bodySchema: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 8192 }) }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, body, principal, services }) {
      const credentials = opened(services);
      await credentials.service.storeOperatorTokens(params.id!, { refreshToken: body.refreshToken }, principal);
      return view(await credentials.repository.get(params.id!), credentials);
    },
  }),
  defineRoute({
    ...byId('/authorization-code', 'Exchange an authorization code (PKCE) for tokens: the gateway authenticates as the client', 'credentials:write'),
    bodySchema: Type.Object({ callbackUrl: Type.String({ minLength: 1, maxLength: 8192 }), state: Type.String({ minLength: 16, maxLength: 256 }), codeVerifier: Type.String({ minLength: 43, maxLength: 128 }) }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict'],
    async handler({ params, body, principal, services }) {
      const credentials = opened(services);
      const row = await credentials.repository.get(params.id!);
      const settings = row.settings as unknown as OAuthCredentialSettings;
      if (row.kind !== 'refresh_token' || !settings.redirectUri) throw new GatewayError('admin.conflict', { detail: 'only a refresh_token credential with a redirectUri runs the authorization-code flow' });
      let tokens;
      try {
        tokens = await credentials.tokens.authorizationCode({ ...settings, redirectUri: settings.redirectUri }, new URL(body.callbackUrl), body.state, body.codeVerifier);
      } catch (error) {
        throw new GatewayError('admin.invalid_request', { detail: `the code exchange failed: ${error instanceof Error ? error.message : String(error)}` });
      }
      if (!tokens.refreshToken) throw new GatewayError('admin.invalid_request', { detail: 'the provider issued no refresh token (ask for offline_access, or a grant with refresh tokens)' });
      await credentials.service.storeOperatorTokens(row.id, { refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt }, principal);
      return view(await credentials.repository.get(row.id), credentials);
    },
  }),
];
