/**
 * The config file's schema, written once with TypeBox: it is the JSON Schema published in
 * schema/portcullis.schema.json, what Ajv validates against at load, and (through Static) the
 * TypeScript type of a loaded config. Every option has its unit in its name and a description;
 * docs/configuration.md documents each one (a test checks).
 */
import { StringEnum } from '../core/string-enum.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TracingSchema } from './tracing-schema.js';
import { NAME, Secret } from './secret-schema.js';
import { Groups, Listener, ListenerTls, TLS_VERSIONS } from './listener-schema.js';
import { AuditConfigSchema } from './audit-schema.js';
import { AlertsSchema } from './alerts-schema.js';
import { POLICIES } from '../policies/index.js';
import { ADMIN_USERS_PROPERTIES } from './admin-users-schema.js';
import { CredentialsSection } from './credentials-schema.js';
import { EgressSection, UpstreamEgress, UpstreamErrors } from './egress-schema.js';
import { UpstreamAssess } from './assess-schema.js';
import { LoggingSchema } from './logging-schema.js';
import { VaultSchema } from './vault-schema.js';
import { ADMIN_LISTENER_PROPERTIES } from './admin-listener-schema.js';
import { AdminLoginConfigSchema, AdminMfaConfigSchema, AdminSessionsConfigSchema, AdminWebAuthnConfigSchema } from './admin-auth-schema.js';
import { ADMIN_SSO_PROPERTIES } from './admin-sso-schema.js';
import { ROUTE_METADATA_PROPERTIES } from './route-metadata-schema.js';

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** RFC 9110 §9.2.2: methods whose repetition has the same effect as one request. */
const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'] as const;

const Upstream = Type.Object(
  {
    targets: Type.Array(Type.String({ description: 'http:// or https:// URL, optionally with a base path.' }), {
      minItems: 1,
      description: 'One or more servers; requests go round-robin, skipping targets in cool-down.',
    }),
    connectTimeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Time allowed to open a connection to a target.' }),
    headersTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Time allowed for the response head after the request is sent; 504 after.' }),
    bodyTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Longest pause allowed between two chunks of the response body.' }),
    maxConnections: Type.Integer({ minimum: 1, default: 128, description: 'Keep-alive pool size per target.' }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 1, default: 4000, description: 'How long an idle upstream connection is kept for reuse.' }),
    preserveHost: Type.Boolean({ default: false, description: "Send the client's Host header upstream instead of the target's." }),
    retries: Type.Object(
      {
        attempts: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'Extra attempts, each on the next target.' }),
        methods: Type.Array(StringEnum(IDEMPOTENT_METHODS, { description: 'An idempotent method.' }), {
          default: [...IDEMPOTENT_METHODS],
          description: 'Methods that may be retried; only idempotent methods (RFC 9110 §9.2.2) are accepted.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Retries after a connection failure, only for bodiless requests of idempotent methods.' },
    ),
    health: Type.Object(
      {
        failuresBeforeCooldown: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failures that put a target in cool-down.' }),
        cooldownMs: Type.Integer({ minimum: 1, default: 10000, description: 'How long a failing target is skipped.' }),
      },
      { additionalProperties: false, default: {}, description: 'Passive health: failing targets are skipped for a while.' },
    ),
    tls: Type.Optional(
      Type.Object(
        {
          caFiles: Type.Array(Type.String({ filePath: true }), { default: [], description: 'PEM CA files that https targets must chain to (default: the system CAs).' }),
          minVersion: StringEnum(TLS_VERSIONS, { default: 'TLSv1.2', description: 'Oldest TLS version used towards the targets.' }),
          groups: Groups('offered to the targets'),
          servername: Type.Optional(Type.String({ description: 'SNI name and name verified in the certificate (default: the target host).' })),
          certFile: Type.Optional(Type.String({ filePath: true, description: 'Client certificate (PEM) for targets that require mTLS.' })),
          keyFile: Type.Optional(Type.String({ filePath: true, description: 'Private key (PEM) of the client certificate.' })),
          key: Type.Optional(Secret('Private key of the client certificate, by secret reference (instead of keyFile).')),
          keyPassphrase: Type.Optional(Secret('Passphrase of an encrypted client key.')),
        },
        { additionalProperties: false, description: 'TLS towards https targets: certificates are always verified.' },
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          type: StringEnum(['bearer', 'basic', 'header'], { description: 'bearer | basic | header' }),
          token: Type.Optional(Secret('bearer: the token.')),
          username: Type.Optional(Type.String({ description: 'basic: the user name.' })),
          password: Type.Optional(Secret('basic: the password.')),
          header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$', description: 'header: the header name.' })),
          value: Type.Optional(Secret('header: the header value.')),
        },
        { additionalProperties: false, description: 'Credentials the gateway adds to every upstream request; secrets only by reference.' },
      ),
    ),
    egress: Type.Optional(UpstreamEgress),
    errors: Type.Optional(UpstreamErrors),
    assess: Type.Optional(UpstreamAssess),
  },
  { additionalProperties: false, description: 'A named group of servers routes forward to.' },
);

export const POLICIES_DESCRIPTION = 'Policies by name.';

/** Each policy's config, by name; a route's entry replaces the global one for that route. */
const Policies = Type.Unsafe<Record<string, { enabled: boolean } & Record<string, unknown>>>(
  Type.Object(Object.fromEntries(POLICIES.map(({ definition }) => [definition.name, Type.Optional(definition.configSchema)])), {
    additionalProperties: false,
    default: {},
    description: POLICIES_DESCRIPTION,
  }),
);

const Route = Type.Object(
  {
    name: Type.String({ pattern: NAME, description: 'Unique name, used in logs and metrics.' }),
    methods: Type.Array(StringEnum(HTTP_METHODS, { description: 'An HTTP method.' }), { minItems: 1, uniqueItems: true, description: 'Methods served; HEAD is served wherever GET is.' }),
    path: Type.String({ description: 'Path template: /v1/accounts/:id, with an optional trailing /* wildcard.' }),
    host: Type.Optional(Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9.-]+$', description: 'Only requests for this Host (exact, or *.example.com).' })),
    upstream: Type.String({ description: 'Name of the upstream to forward to.' }),
    rewrite: Type.Optional(Type.String({ pattern: '^/', description: 'Upstream path template using the route path parameters, e.g. /accounts/:id.' })),
    stripPrefix: Type.Optional(Type.String({ pattern: '^/', description: 'Prefix removed from the path before forwarding.' })),
    public: Type.Optional(Type.Boolean({ description: 'true: this route is meant to be reachable without authentication (needs publicReason); `portcullis preflight` then does not report it (PF-AUTH-001).' })),
    publicReason: Type.Optional(Type.String({ minLength: 1, description: 'Why the route is public (a status page, a published catalogue); required with public: true.' })),
    ...ROUTE_METADATA_PROPERTIES,
    policies: Policies,
  },
  { additionalProperties: false, description: 'Which requests go to which upstream, with which policies.' },
);

const ContractRoutes = Type.Object(
  {
    contract: Type.String({ filePath: true, description: 'The OpenAPI 3.0/3.1 document (YAML or JSON), relative to the config file.' }),
    upstream: Type.String({ description: 'Name of the upstream every generated route forwards to.' }),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9._~/-]*$', description: 'Gateway path = this prefix + the document path; removed again before forwarding (e.g. /v1).' })),
    namePrefix: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{0,20}$', description: 'Put before each generated route name (operationId, or method and path).' })),
    host: Type.Optional(Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9.-]+$', description: 'Only requests for this Host (exact, or *.example.com).' })),
    ...ROUTE_METADATA_PROPERTIES,
    policies: Policies,
  },
  { additionalProperties: false, description: 'Routes generated from an OpenAPI document: one per operation, validated against it.' },
);

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path or URL of this JSON Schema, for editors.' })),
    listeners: Type.Array(Listener, { minItems: 1, description: 'Where client traffic is accepted.' }),
    admin: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'false: no admin listener at all (no /healthz, /readyz, /metrics or admin API); start logs admin.disabled.' }),
        host: Type.String({ default: '127.0.0.1', description: 'Address of the admin listener (health, readiness); loopback by default.' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9901, description: 'Port of the admin listener.' }),
        token: Type.Optional(Secret('Bootstrap admin token for the admin API; without it the admin API is off.')),
        tls: Type.Optional(ListenerTls),
        ...ADMIN_LISTENER_PROPERTIES,
        ...ADMIN_SSO_PROPERTIES,
        ...ADMIN_USERS_PROPERTIES,
        metricsToken: Type.Optional(Secret('When set, GET /metrics needs it as Authorization: Bearer (at least 24 characters).')),
        mfa: AdminMfaConfigSchema,
        sessions: AdminSessionsConfigSchema,
        login: AdminLoginConfigSchema,
        webauthn: Type.Optional(AdminWebAuthnConfigSchema),
      },
      { additionalProperties: false, default: {}, description: 'The admin listener: /healthz, /readyz and the admin API.' },
    ),
    probes: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'true: open the probe listener (for Kubernetes: kubelet probes do not come from loopback).' }),
        host: Type.String({ default: '0.0.0.0', description: 'Address of the probe listener; all addresses by default, as a pod needs (it serves /healthz and /readyz only).' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9902, description: 'Port of the probe listener.' }),
      },
      { additionalProperties: false, default: {}, description: 'The probe listener: /healthz and /readyz alone, without the admin API or /metrics.' },
    ),
    store: Type.Optional(
      Type.Object(
        {
          driver: StringEnum(['sqlite', 'postgres'], { default: 'sqlite', description: 'sqlite (one node, a local file) or postgres (several nodes).' }),
          path: Type.String({ filePath: true, default: './data/portcullis.db', description: "sqlite: the database file, relative to the config file's folder (':memory:' for a throw-away database); its folder is created." }),
          url: Type.Optional(Secret('postgres: the connection URL (it holds a password, so by reference).')),
          migrateOnStart: Type.Boolean({ default: true, description: 'Apply pending migrations at start (else run `portcullis migrate`).' }),
          pollIntervalMs: Type.Integer({ minimum: 50, maximum: 1000, default: 500, description: 'Safety-net poll of the change feed (postgres nodes are woken by LISTEN/NOTIFY, sqlite after each write); at most 1000, so a change reaches every node within a second even without a notification.' }),
          changeRetentionSeconds: Type.Integer({ minimum: 60, maximum: 2592000, default: 86400, description: 'How long change-feed rows are kept; a node whose follower falls further behind (stopped, cut off) reloads everything from the store.' }),
          connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'postgres: how long opening a connection may take before the store counts as unavailable.' }),
          queryTimeoutMs: Type.Integer({ minimum: 100, maximum: 300000, default: 10000, description: 'postgres: how long one query may take (statement_timeout and a client-side read timeout).' }),
        },
        { additionalProperties: false, description: 'Where consumers and keys live.' },
      ),
    ),
    apiKeys: Type.Optional(
      Type.Object(
        {
          pepper: Secret('Server-side secret mixed into every key hash (HMAC-SHA256); at least 32 characters.'),
          product: Type.String({ pattern: '^[a-z]{2,8}$', default: 'ptc', description: 'First part of every key, so scanners can recognise leaked keys.' }),
          environment: Type.String({ pattern: '^[a-z]{2,8}$', default: 'live', description: 'Second part of new keys: live, test, ...' }),
          maxAgeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Longest life of a new key; a key without an expiry gets this one.' }),
          warnAgeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 75, description: 'Sets the warn window, maxAgeDays minus this, counted back from each consumer\'s own limit: keys in it are flagged by `keys list` (ROTATE).' }),
          lastUsedFlushMs: Type.Integer({ minimum: 100, default: 10000, description: 'How often last-used times are written, in one batch.' }),
          enforcement: Type.Object(
            {
              mode: StringEnum(['off', 'expire'], { default: 'off', description: 'expire: a key graceDays past the end of its key-age policy is refused as expired, and the lead node records the expiry (audited, actor system).' }),
              graceDays: Type.Integer({ minimum: 0, maximum: 365, default: 7, description: 'Days a key keeps working after its key-age policy ends, before enforcement expires it.' }),
              sweepIntervalSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 3600, description: 'How often the lead node looks for keys to expire.' }),
            },
            { additionalProperties: false, default: {}, description: 'Enforcing the key-age policy (issue 24 §5): off by default.' },
          ),
        },
        { additionalProperties: false, description: 'API key issuing and verification.' },
      ),
    ),
    oauth: Type.Optional(
      Type.Object(
        {
          issuer: Type.String({ description: 'Issuer URL of the authorization server (https; http only on loopback): the `iss` of its tokens and the base of its endpoint URLs.' }),
          pathPrefix: Type.String({ pattern: '^(/[A-Za-z0-9._~-]+)+$', default: '/oauth2', description: 'Path prefix of the token, jwks, revoke and introspect endpoints on the client listeners.' }),
          audience: Type.String({ minLength: 1, description: 'The `aud` of issued access tokens (the APIs behind this gateway).' }),
          signingKeySecret: Type.Optional(Secret('Secret (at least 32 characters) from which the key that encrypts private signing keys in the store is derived. With a `vault` section the keys are sealed by the vault instead: then only needed until the keys made before the vault are resealed at start (docs/oauth.md#signing-keys-in-the-vault).')),
          signingAlgorithm: StringEnum(['ES256', 'RS256', 'PS256', 'EdDSA'], { default: 'ES256', description: 'Signature algorithm of issued tokens.' }),
          accessTokenTtlSeconds: Type.Integer({ minimum: 30, maximum: 3600, default: 300, description: 'Lifetime of issued access tokens.' }),
          signingKeyRotationDays: Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'A new signing key is made active this often; the previous stays published until its tokens expire.' }),
          assertionMaxAgeSeconds: Type.Integer({ minimum: 30, maximum: 3600, default: 300, description: 'private_key_jwt: a client assertion must expire within this many seconds.' }),
          clientSecretMaxAgeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 365, description: 'Age policy of client secrets (since set or last rotated): `portcullis credentials report` lists an older one as over_policy and preflight reports it (PF-OAUTH-001). Nothing is enforced: rotate with `portcullis clients rotate <client-id>`.' }),
        },
        { additionalProperties: false, description: 'The built-in OAuth 2.0 authorization server (client credentials grant) for server-to-server partners.' },
      ),
    ),
    vault: Type.Optional(VaultSchema),
    redis: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^rediss?://[^@/]+(/[0-9]{1,2})?$', description: 'redis://host:port[/db] (rediss:// for TLS); no credentials here: use password.' }),
          password: Type.Optional(Secret('The Redis password (AUTH), by reference.')),
          keyPrefix: Type.String({ pattern: '^[A-Za-z0-9:_.{}-]{0,64}$', default: 'portcullis:rl:', description: 'Prefix of every key the gateway writes.' }),
          connectTimeoutMs: Type.Integer({ minimum: 50, maximum: 60000, default: 1000, description: 'Time allowed to connect.' }),
          commandTimeoutMs: Type.Integer({ minimum: 10, maximum: 10000, default: 200, description: 'Time allowed for one limit check; past it the fallback answers.' }),
        },
        { additionalProperties: false, description: 'Redis shared by every node for rate limits (policies with store: redis).' },
      ),
    ),
    credentials: CredentialsSection,
    overload: Type.Object(
      {
        maxInFlight: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 10000, description: 'Requests in flight on this gateway (all its workers under --workers) past which new ones get 503 overloaded at once (0: no limit).' }),
        retryAfterSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 1, description: 'Retry-After sent with 503 overloaded.' }),
      },
      { additionalProperties: false, default: {}, description: 'Load shedding: refuse early instead of falling over.' },
    ),
    geo: Type.Object(
      {
        databasePath: Type.Optional(Type.String({ filePath: true, description: "An MMDB file (e.g. a GeoIP2 City or ASN database), relative to the config file's folder; default: the bundled CC0 country database." })),
        maxAgeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 45, description: '`portcullis preflight` reports a database built longer ago than this (PF-GEO-001): countries move between address blocks every week.' }),
      },
      { additionalProperties: false, default: {}, description: 'The geo database used by the geo policy.' },
    ),
    bruteForce: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'false: clients failing authentication are never blocked (the admin API keeps its own protection); start logs security.brute_force_disabled.' }),
        maxFailures: Type.Integer({ minimum: 1, default: 10, description: 'Failed authentications from one client IP within the window that block it.' }),
        windowSeconds: Type.Integer({ minimum: 1, default: 60, description: 'The counting window.' }),
        blockSeconds: Type.Integer({ minimum: 1, default: 300, description: 'How long a blocked client gets 429 auth.too_many_failures.' }),
      },
      { additionalProperties: false, default: {}, description: 'Brute-force protection for every authentication policy.' },
    ),
    nodeId: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._:-]{1,128}$',
        description: "This node's name: the `node` label of its alerts, the alert delivery lease, tracing's service.instance.id (with /worker-<slot> under --workers) and the audit trail's node (heartbeats, config.applied). Default `<host name>:<port>`, the admin listener's port (the first listener's when the admin listener is off), so two nodes on one host differ; the workers of `--workers N` share it.",
      }),
    ),
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      description: 'IPs or CIDRs of proxies in front of the gateway; only their X-Forwarded-For is believed.',
    }),
    requestId: Type.Object(
      {
        header: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', default: 'x-request-id', description: 'Header that carries the request id (letters, digits and -).' }),
        trustIncoming: StringEnum(['never', 'trusted-proxies', 'always'], {
          default: 'trusted-proxies',
          description: 'Whose request id to keep: never, trusted-proxies (default) or always; otherwise one is generated.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Request id propagation.' },
    ),
    logging: LoggingSchema,
    tracing: Type.Optional(TracingSchema),
    errors: Type.Object(
      {
        typeBaseUrl: Type.String({ default: 'https://portcullis.dev/errors/', description: 'Prefix of the problem `type` URI; the code is appended.' }),
      },
      { additionalProperties: false, default: {}, description: 'RFC 9457 problem responses.' },
    ),
    lifecycle: Type.Object(
      {
        drainTimeoutMs: Type.Integer({ minimum: 0, default: 10000, description: 'On SIGTERM/SIGINT, how long in-flight requests may finish.' }),
        watchConfigFile: Type.Boolean({ default: true, description: 'Reload when the config file changes (SIGHUP always reloads).' }),
      },
      { additionalProperties: false, default: {}, description: 'Shutdown and reload.' },
    ),
    pki: Type.Optional(
      Type.Object(
        {
          caDir: Type.String({ filePath: true, description: 'Folder made by `portcullis ca init`: its CRL is served and its certificates watched for expiry.' }),
          crlPath: Type.String({ pattern: '^/[A-Za-z0-9._/-]*$', default: '/pki/ca.crl', description: 'Path on every listener where partners fetch the CRL (DER, no authentication).' }),
          issuing: Type.Optional(
            Type.Object(
              { caKey: Secret("The CA key's passphrase (a CA made with --key-passphrase-env) or its PEM key (--key-env), by secret reference: the admin API may then issue from a CSR and revoke.") },
              { additionalProperties: false, description: 'Opt in to issuing and revoking through the admin API (off by default: the CA key stays off the gateway).' },
            ),
          ),
        },
        { additionalProperties: false, description: 'The private CA for partner certificates.' },
      ),
    ),
    audit: AuditConfigSchema,
    alerts: AlertsSchema,
    certificateExpiry: Type.Object(
      {
        warningDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'A certificate expiring within this many days is logged (certificate.expiring).' }),
        checkIntervalHours: Type.Integer({ minimum: 1, maximum: 168, default: 24, description: 'How often every known certificate is checked (and at start).' }),
      },
      { additionalProperties: false, default: {}, description: 'Expiry watch over every certificate the gateway knows.' },
    ),
    egress: EgressSection,
    upstreams: Type.Record(Type.String({ pattern: NAME }), Upstream, { additionalProperties: false, description: 'Upstreams by name (lower-case letters, digits, - and _).' }),
    policies: Policies,
    routes: Type.Array(Route, { default: [], description: 'Routes, matched by host, method and path (static segments before parameters). At least one, here or from contractRoutes.' }),
    contractRoutes: Type.Array(ContractRoutes, { default: [], description: 'Routes generated from OpenAPI documents, added after `routes`.' }),
    contractCache: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'false: every start compiles every contract whole (in a worker thread) and nothing is written to disk.' }),
        dir: Type.Optional(Type.String({ filePath: true, description: "Folder of the cache (created 0700), relative to the config file; default: $XDG_CACHE_HOME/portcullis/contracts, else ~/.cache/portcullis/contracts. It must be owned by the gateway's user and writable by no one else, or it is not used." })),
      },
      { additionalProperties: false, default: {}, description: 'Which OpenAPI contracts are known to compile (by SHA-256 of the contract, Ajv version and gateway version), kept across restarts so that an unchanged contract is not compiled whole again. Holds no code; checked before use.' },
    ),
  },
  {
    additionalProperties: false,
    title: 'Portcullis configuration',
    description: 'portcullis.yaml: listeners, upstreams, routes and policies.',
  },
);

export type GatewayConfig = Static<typeof ConfigSchema>;
export type ListenerConfig = GatewayConfig['listeners'][number];
export type UpstreamConfig = GatewayConfig['upstreams'][string];
export type ListenerTlsConfig = NonNullable<ListenerConfig['tls']>;
export type AdminConfig = GatewayConfig['admin'];
export type CrlConfig = NonNullable<ListenerTlsConfig['clientCertificates']['crl']>;
export type UpstreamTlsConfig = NonNullable<UpstreamConfig['tls']>;
export type RouteConfig = GatewayConfig['routes'][number];
export type PoliciesConfig = GatewayConfig['policies'];
export type CredentialsConfig = GatewayConfig['credentials'];

/**
 * The schema as published for editors: options that have a default are optional to write, so they
 * leave `required` (Ajv fills defaults before it checks `required`, so the loader may use either).
 */
export function publishedSchema(): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;
  relaxDefaulted(copy);
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'https://portcullis.dev/schema/portcullis.schema.json', ...copy };
}

function relaxDefaulted(schema: TSchema | Record<string, unknown>): void {
  const node = schema as { properties?: Record<string, Record<string, unknown>>; required?: string[]; [key: string]: unknown };
  if (node.properties && Array.isArray(node.required)) {
    node.required = node.required.filter((name) => node.properties![name]?.default === undefined);
    if (node.required.length === 0) delete node.required;
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) value.forEach((item) => typeof item === 'object' && item !== null && relaxDefaulted(item));
    else if (typeof value === 'object' && value !== null) relaxDefaulted(value as Record<string, unknown>);
  }
}
