/**
 * `admin.sso` (issue 18 §5): admins sign in through their organisation's OpenID Connect provider
 * (authorization code flow with PKCE, admin/sso/). Roles come from a groups claim through
 * `roleMapping`, deny by default; the provider's second factor counts only when the ID token
 * asserts it (`requireMfaClaim`), else ours is asked for. Merged into the admin object of schema.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Secret } from './secret-schema.js';

const ROLE_NAME = '^[a-z][a-z0-9_-]{0,63}$';

export const AdminOidcConfigSchema = Type.Object(
  {
    issuer: Type.String({ description: "The provider's issuer identifier (https; http only on loopback); its discovery document is read from <issuer>/.well-known/openid-configuration." }),
    clientId: Type.String({ minLength: 1, description: 'The client id registered at the provider for the admin listener.' }),
    clientSecret: Type.Optional(Secret('The client secret (client_secret_basic), by secret reference; without it the client is public (PKCE only).')),
    redirectUri: Type.String({ description: 'The redirect URI registered at the provider: the admin listener\'s GET /v1/auth/sso/callback as browsers reach it, e.g. https://admin.example.com:9901/v1/auth/sso/callback.' }),
    scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { default: ['openid', 'email', 'profile', 'groups'], uniqueItems: true, description: 'Scopes asked for; openid is added when missing.' }),
    groupsClaim: Type.String({ minLength: 1, default: 'groups', description: 'The ID token claim that lists the user\'s groups (an array of strings, or one string).' }),
    roleMapping: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ pattern: ROLE_NAME }), { minItems: 1, uniqueItems: true }), {
      default: {},
      description: 'Group → roles. A user gets the union of the roles of their groups; a user in no mapped group is refused (403 admin.sso_no_role). Every role must exist (built-in or custom): start refuses an unknown one.',
    }),
    allowedDomains: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9.-]+$' }), { minItems: 1, uniqueItems: true, description: 'Only users whose (verified) email is in one of these domains may sign in.' })),
    requireMfaClaim: Type.Object(
      {
        amr: Type.Array(Type.String({ minLength: 1 }), { default: [], uniqueItems: true, description: 'amr values (RFC 8176) that count as a second factor at the provider, e.g. [mfa, otp, hwk]; one of them in the ID token\'s amr is enough.' }),
        acr: Type.Array(Type.String({ minLength: 1 }), { default: [], uniqueItems: true, description: 'acr values that count as a second factor at the provider.' }),
      },
      { additionalProperties: false, default: {}, description: "When the ID token asserts one of these, the session has MFA from the provider; otherwise the user presents our second factor (TOTP) before the session opens. Both empty (default): the provider's MFA is never taken on trust." },
    ),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'How long a discovery, token or JWKS request to the provider may take.' }),
    requestTtlSeconds: Type.Integer({ minimum: 60, maximum: 1800, default: 600, description: 'How long a sign-in started at /v1/auth/sso/start may take to come back (its state, single use), and how long the second-factor step after it stays open.' }),
  },
  { additionalProperties: false, description: 'An OpenID Connect provider (docs/admin.md#single-sign-on).' },
);

export const ADMIN_SSO_PROPERTIES = {
  sso: Type.Optional(
    Type.Object(
      { oidc: AdminOidcConfigSchema },
      { additionalProperties: false, description: 'Single sign-on for admin users (docs/admin.md#single-sign-on); needs a store.' },
    ),
  ),
};

export type AdminOidcConfig = Static<typeof AdminOidcConfigSchema>;
