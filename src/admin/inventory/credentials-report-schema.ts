/** The credentials report's query and response (GET /v1/inventory/credentials), for validation and the OpenAPI description. */
import { Type } from '@sinclair/typebox';
import { CREDENTIAL_KINDS, CREDENTIAL_STATUSES } from './credentials-report.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Iso = Type.String({ format: 'date-time' });

/** `kind=api_key,vault_secret`: a comma-separated list of kinds. */
export const KINDS_PATTERN = `^(${CREDENTIAL_KINDS.join('|')})(,(${CREDENTIAL_KINDS.join('|')}))*$`;

export const CredentialsReportQuery = Type.Object(
  {
    days: Type.Integer({ minimum: 0, maximum: 3650, default: 30, description: 'Horizon: list what expires or reaches its policy age within this many days (and what expired within as many days past).' }),
    kind: Type.Optional(Type.String({ pattern: KINDS_PATTERN, description: `Only these kinds, comma-separated: ${CREDENTIAL_KINDS.join(', ')}.` })),
    all: Type.Boolean({ default: false, description: 'List every credential, `ok` ones too.' }),
  },
  { additionalProperties: false },
);

export const CredentialReportRowSchema = Type.Object(
  {
    kind: literals(CREDENTIAL_KINDS),
    id: Type.String({ description: 'Key id, client_id, certificate serial, credential id or secret name.' }),
    name: Type.String(),
    owner: Type.String({ description: "The consumer (keys, client secrets, partner certificates), the credential's owner, the secret's creator, or `listener <name>`." }),
    createdAt: Iso,
    expiresAt: Type.Union([Iso, Type.Null()]),
    ageDays: Type.Integer(),
    policyMaxAgeDays: Type.Union([Type.Integer(), Type.Null()]),
    daysLeft: Type.Union([Type.Integer(), Type.Null()], { description: 'Whole days until the sooner of expiresAt and the policy age; negative once past.' }),
    status: literals(CREDENTIAL_STATUSES),
    reason: Type.String(),
  },
  { additionalProperties: false },
);

export const CredentialsReportSchema = Type.Object(
  {
    generatedAt: Iso,
    days: Type.Integer(),
    summary: Type.Object(Object.fromEntries(CREDENTIAL_STATUSES.map((status) => [status, Type.Integer({ minimum: 0 })])), { additionalProperties: false }),
    rows: Type.Array(CredentialReportRowSchema),
    warnings: Type.Array(Type.String(), { description: 'Sources that could not be read (a CA folder): their credentials are missing from rows.' }),
  },
  { additionalProperties: false },
);
