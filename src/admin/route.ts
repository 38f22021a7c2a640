/**
 * One admin API route: method, path template, schemas, the permission it needs, and its handler.
 * The table of these (routes/index.ts) is the admin API: the dispatcher (admin-api.ts) matches,
 * authorizes and validates from it, the OpenAPI description (openapi.ts) is generated from it, and
 * the security test walks it, so a new route is served, documented and tested by being listed.
 */
import type { OpenedCredentials } from '../credentials/open-credentials.js';
import type { IncomingMessage } from 'node:http';
import type { Static, TSchema } from '@sinclair/typebox';
import type { AdminPrincipal } from '../core/actor.js';
import type { ErrorCode } from '../core/errors.js';
import type { KeyService } from '../keys/key-service.js';
import type { Logger } from '../observability/logger.js';
import type { ClientService } from '../oauth/client-service.js';
import type { SigningKeyService } from '../oauth/signing-key-service.js';
import type { RateLimitOverrideRepository } from '../store/rate-limit-overrides.js';
import type { ConsumerRepository } from '../store/repositories.js';
import type { Store } from '../store/store.js';
import type { AdminPlane } from './admin-plane.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AdminAuth } from './sessions/admin-auth.js';
import type { SsoService } from './sso/sso-service.js';
import type { VaultService } from '../vault/vault-service.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { StoreSilences } from '../alerts/store-queue.js';
import type { KnownCertificate } from '../pki/expiry-watch.js';

/** What handlers reach: the services of the running gateway. */
export interface AdminServices {
  /** The unit of work every write runs in, with the request's principal as the actor. */
  readonly store: Store | undefined;
  readonly consumers: ConsumerRepository | undefined;
  readonly keys: KeyService | undefined;
  /** The built-in authorization server's clients and signing keys, when `oauth` is configured. */
  readonly oauth?: { clients: ClientService; signingKeys: SigningKeyService } | undefined;
  readonly overrides: RateLimitOverrideRepository | undefined;
  /** The audit trail's reader (GET /v1/audit…), when a store is configured. */
  readonly audit?: AuditLog | undefined;
  /** Upstream credentials (issue 19), with a store. */
  readonly credentials?: OpenedCredentials | undefined;
  /** The rate-limit names the running config has: an override must name one of them. */
  readonly rateLimitNames: () => ReadonlySet<string>;
  /** The gateway's clock (injected in tests): windows such as `unused=90d` end at its now. */
  readonly clock: import('../core/clock.js').Clock;
  /** The running config and its file's folder (the API inventory, GET /v1/inventory). */
  readonly runningConfig?: (() => { readonly config: import('../config/schema.js').GatewayConfig; readonly baseDir: string | undefined }) | undefined;
  /** A route's allow-mode response field paths in the running config ([] without any), or undefined: no such route. */
  readonly fieldAllowlist: (route: string) => readonly string[] | undefined;
  readonly logger: () => Logger;
  /** The vault's operator service (set, list, promote, delete, reveal), when `vault` is configured. */
  readonly vault?: VaultService | undefined;
  /** The running config's `${secret:NAME}` references: name → config paths (a referenced secret is not deleted unless forced). */
  readonly secretReferences?: (() => ReadonlyMap<string, readonly string[]>) | undefined;
  /** Admin users, roles and tokens (with a store); without it only the bootstrap token works. */
  readonly admin?: AdminPlane | undefined;
  /** The alert engine and (with a store) its silences: /v1/alerts… */
  readonly alerts?: { readonly engine: AlertEngine; readonly silences: StoreSilences | undefined } | undefined;
  /** Admin users' sign-in (sessions, MFA, brute-force limits); absent without admin users. */
  readonly auth?: AdminAuth | undefined;
  /** Single sign-on through an OpenID Connect provider (admin.sso), with admin users. */
  readonly sso?: SsoService | undefined;
  /** The private CA and the certificates the gateway holds (/v1/ca, /v1/certificates…). */
  readonly certificates?: AdminCertificates | undefined;
}

/** What the certificate routes read from the running gateway. */
export interface AdminCertificates {
  /** The running config's private CA (pki), with the CA key's secret when issuing is on; undefined: none. */
  readonly pki: () => { readonly caDir: string; readonly issuing?: { readonly caKey: () => string } | undefined } | undefined;
  /** Every certificate the gateway holds now, as the expiry watch lists them. */
  readonly known: () => readonly KnownCertificate[];
  /** certificateExpiry.warningDays of the running config. */
  readonly warningDays: () => number;
  /** Loads every listener's CRLs again now (after a revocation made here). */
  readonly crlChanged: () => Promise<void>;
}

export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What one handler call gets: validated input, the caller, and the services. */
export interface AdminRequest<Body, Query> {
  /** Path parameters, each checked against PATH_PARAM_PATTERN. */
  readonly params: Readonly<Record<string, string>>;
  /** The body, validated against `bodySchema` with its defaults applied (POST and PATCH only). */
  readonly body: Body;
  /** The query, validated against `querySchema` (numbers coerced, defaults applied). */
  readonly query: Query;
  /** Who asks: passed down as the actor of every write. */
  readonly principal: AdminPrincipal;
  readonly services: AdminServices;
  /** The whole route table (what the OpenAPI route describes). */
  readonly routes: readonly AdminRoute[];
  /** The HTTP request (client address, TLS, cookies), for the routes that sign in and out. */
  readonly req: IncomingMessage;
  /** Headers to add to a successful answer (Set-Cookie of login, logout and step-up). */
  readonly responseHeaders: Record<string, string>;
}

export interface AdminRoute {
  readonly method: AdminMethod;
  /** A path template: `/v1/keys/:id`. */
  readonly path: string;
  /** One line for the OpenAPI description (and `operationId`, derived from method and path). */
  readonly summary: string;
  /**
   * The permission a principal needs (`keys:write`, one of admin/permissions.ts); `*` in a
   * principal's list grants every one. `authenticated`: any signed-in principal (the one
   * convention for routes every admin may call; add `sessionOnly` when it must be a person);
   * `public`: no credential.
   */
  readonly permission: string;
  /**
   * Only for an admin user's login session (cookie or `ptc_ses_` bearer), never an admin token or
   * the bootstrap token: routes about the caller's own session and second factors, which a token
   * does not have (403 admin.forbidden otherwise).
   */
  readonly sessionOnly?: boolean | undefined;
  /**
   * Needs a fresh second factor (issue 18 §4: creating tokens, changing roles, revealing a secret,
   * exporting the audit trail, resetting someone's MFA): a human caller (a session) must have
   * presented one within `admin.mfa.stepUpMinutes` (admin/sessions/route-guard.ts). Automation
   * credentials (admin tokens, the bootstrap token) have no second factor and are bounded by their
   * permissions instead.
   */
  readonly stepUp?: boolean | undefined;
  /** Open to a session that must enrol a second factor before anything else (enrol, whoami, logout). */
  readonly duringEnrolment?: boolean | undefined;
  /** The JSON body of a POST (an empty body counts as `{}`); absent: no body is read. */
  readonly bodySchema?: TSchema | undefined;
  /** The query string as an object of strings; absent: no query parameter is accepted. */
  readonly querySchema?: TSchema | undefined;
  /**
   * The status of a successful answer and the schema of its body. 302: a redirect to the
   * `Location` the handler sets in responseHeaders, with no body (`responseSchema` unused).
   */
  readonly status: 200 | 201 | 302;
  readonly responseSchema: TSchema;
  /** Problem codes this route answers besides those of every route (401, 403, 429, 500, 503). */
  readonly errors: readonly ErrorCode[];
  readonly handler: (request: AdminRequest<any, any>) => Promise<unknown>;
}

/** An id in a path: what every entity id of the store is made of (and nothing that needs escaping). */
export const PATH_PARAM_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** Types a route's handler by its schemas; the table holds the erased form. */
export function defineRoute<B extends TSchema = TSchema, Q extends TSchema = TSchema>(
  route: Omit<AdminRoute, 'bodySchema' | 'querySchema' | 'handler' | 'errors'> & {
    bodySchema?: B;
    querySchema?: Q;
    errors?: readonly ErrorCode[];
    handler: (request: AdminRequest<Static<B>, Static<Q>>) => Promise<unknown>;
  },
): AdminRoute {
  return { ...route, errors: route.errors ?? [] };
}
