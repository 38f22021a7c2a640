/**
 * The vault's secrets (present when `vault` is configured; docs/vault.md). Lists and shows carry
 * names, versions and who set them, never a value; a value comes in only in the body of a POST
 * (the CLI reads it from stdin or a file, never from its command line) and leaves only by reveal,
 * which needs `credentials:reveal` and a fresh second factor (step-up), and is audited.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { SECRET_NAME_PATTERN } from '../../vault/secret-name.js';
import type { WriteTx } from '../../store/store.js';
import { MAX_SECRET_BYTES, SecretInUseError, VaultInputError, type VaultService } from '../../vault/vault-service.js';
import type { SecretRecord } from '../../vault/secret-repository.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService, Timestamp } from './common.js';

const VAULT_OFF = 'The vault (the vault section)';

const SecretSchema = Type.Object(
  {
    name: Type.String({ pattern: SECRET_NAME_PATTERN }),
    currentVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The promoted version: what every node serves.' }),
    versions: Type.Integer({ description: 'How many versions are stored.' }),
    description: Type.String(),
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const VersionSchema = Type.Object(
  { version: Type.Integer(), promoted: Type.Boolean(), kekId: Type.String({ description: 'The KEK that wraps its data key.' }), createdBy: Type.String(), createdAt: Timestamp },
  { additionalProperties: false },
);

const view = (secret: SecretRecord) => ({
  name: secret.name,
  currentVersion: secret.currentVersion,
  versions: secret.versions,
  description: secret.description,
  createdBy: secret.createdBy,
  createdAt: new Date(secret.createdAt).toISOString(),
  updatedAt: new Date(secret.updatedAt).toISOString(),
});

const vaultOf = (services: { vault?: VaultService | undefined }): VaultService => requireService(services.vault, VAULT_OFF);

function input<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof VaultInputError) throw new GatewayError('admin.invalid_request', { detail: error.message });
    throw error;
  });
}

export const secretRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/secrets',
    summary: 'List the vault\'s secrets by name: names and versions, never values',
    permission: 'secrets:read',
    querySchema: listQuery({}),
    status: 200,
    responseSchema: listOf(SecretSchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ query, services }) => paginate(query, async (page) => (await vaultOf(services).list(page)).map(view), (secret) => secret.name),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/secrets/:name/versions',
    summary: 'A secret and its versions (which is promoted, by whom, under which KEK); never a value',
    permission: 'secrets:read',
    status: 200,
    responseSchema: Type.Object({ secret: SecretSchema, versions: Type.Array(VersionSchema) }, { additionalProperties: false }),
    errors: ['admin.not_found'],
    async handler({ params, services }) {
      const { secret, versions } = await vaultOf(services).versions(params.name!);
      return {
        secret: view(secret),
        versions: versions.map((v) => ({ version: v.version, promoted: v.version === secret.currentVersion, kekId: v.kekId, createdBy: v.createdBy, createdAt: new Date(v.createdAt).toISOString() })),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/secrets/:name/versions',
    summary: 'Store a new version of a secret (created if new): promoted at once, or staged with stage: true',
    permission: 'secrets:write',
    bodySchema: Type.Object(
      {
        value: Type.String({ minLength: 1, maxLength: MAX_SECRET_BYTES, description: 'The value (UTF-8). Never echoed back.' }),
        stage: Type.Boolean({ default: false, description: 'true: store without promoting (the first version is promoted anyway).' }),
        description: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
    status: 201,
    responseSchema: Type.Object({ secret: SecretSchema, version: Type.Integer(), promoted: Type.Boolean() }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ params, body, principal, services }) {
      const { secret, version } = await input(() => vaultOf(services).set(principal, params.name!, Buffer.from(body.value, 'utf8'), { stage: body.stage, ...(body.description === undefined ? {} : { description: body.description }) }));
      return { secret: view(secret), version, promoted: secret.currentVersion === version };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/secrets/:name/promote',
    summary: 'Promote a version: every node serves it within a second (also how to roll back)',
    permission: 'secrets:write',
    bodySchema: Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    status: 200,
    responseSchema: SecretSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: async ({ params, body, principal, services }) => view(await vaultOf(services).promote(principal, params.name!, body.version)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/secrets/:name',
    summary: 'Delete a secret with every version, or one version (?version=, never the promoted one); a secret the running config or an upstream credential names needs ?force=true',
    permission: 'secrets:write',
    querySchema: Type.Object(
      {
        version: Type.Optional(Type.Integer({ minimum: 1 })),
        force: Type.Boolean({ default: false, description: 'Delete a secret the running config or an upstream credential names (its references then answer 503 upstream.credential_unavailable).' }),
      },
      { additionalProperties: false },
    ),
    status: 200,
    responseSchema: Type.Object({ deleted: Type.String(), version: Type.Union([Type.Integer(), Type.Null()]) }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found', 'admin.conflict', 'admin.secret_in_use'],
    async handler({ params, query, principal, services }) {
      const name = params.name!;
      // Fail closed before the fact: a secret the running config or an upstream credential names
      // is kept unless forced (else every request needing it would answer 503).
      const references = async (tx: WriteTx) => [...(services.secretReferences?.().get(name) ?? []), ...((await services.credentials?.repository.secretReferences(name, tx.db)) ?? [])];
      try {
        await vaultOf(services).delete(principal, name, query.version, { force: query.force, references });
      } catch (error) {
        if (!(error instanceof SecretInUseError)) throw error;
        throw new GatewayError('admin.secret_in_use', {
          detail: `Secret ${name} is referenced at ${error.references.join(', ')}: change those first (the config, or the upstream credentials), or delete with force=true.`,
          extensions: { references: error.references },
        });
      }
      return { deleted: name, version: query.version ?? null };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/secrets/:name/reveal',
    summary: 'Reveal a secret\'s value (the promoted version, or `version`): needs credentials:reveal and step-up; audited',
    permission: 'credentials:reveal',
    stepUp: true,
    bodySchema: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    status: 200,
    responseSchema: Type.Object({ name: Type.String(), version: Type.Integer(), value: Type.String() }, { additionalProperties: false }),
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ params, body, principal, services }) => vaultOf(services).reveal(principal, params.name!, body.version),
  }),
];
