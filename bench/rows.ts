/**
 * The rows of `npm run bench`: what each one runs and how its gateway is configured. Every
 * gateway row serves the same two routes (GET /v1/accounts/:id, POST /v1/payments) to the same
 * upstream, with only the row's policies on: the defaults (request-size-limit, security-headers)
 * are switched off and the access log is off (logging level warn), except in access-log (bare with
 * the access log on) and the full pipeline,
 * which is configured as a deployment would be (defaults on, access log written to a file).
 */
import { join } from 'node:path';
import type { CpuRole } from './cpu.js';
import { JWT_AUDIENCE, JWT_ISSUER, type Certificates } from './fixtures.js';

export const ROW_IDS = ['reference', 'bare', 'access-log', 'apikey', 'jwt', 'scope', 'ratelimit-memory', 'ratelimit-redis', 'validate', 'sanitize', 'geo', 'tls-reference', 'mtls', 'full', 'workers-2', 'workers-2-one-core', 'list-2k', 'fields'] as const;
export type RowId = (typeof ROW_IDS)[number];

/** What the gateways of a run share, made once (fixtures.ts). */
export interface RowContext {
  upstream: string;
  dir: string;
  store: { path: string; key: string };
  jwt: { jwk: Record<string, unknown>; token: string };
  certs: Certificates;
  contract: string;
  redis: { url: string; keyPrefix: string };
}

export interface Row {
  id: RowId;
  label: string;
  /** The row this one's ratios are taken against. */
  baseline: RowId;
  /**
   * reference: the node:http + undici proxy of servers.ts; http: a gateway on a plain listener;
   * tls / mtls: a gateway on a TLS listener reached through stunnel on the load core (wrk speaks
   * plain HTTP to stunnel, which speaks TLS, with a client certificate for mtls, to the gateway).
   */
  transport: 'reference' | 'http' | 'tls' | 'mtls';
  /** Route policies; undefined for the reference. */
  policies?: (ctx: RowContext) => Record<string, unknown>;
  /** Request headers wrk sends to this row. */
  headers?: (ctx: RowContext) => Record<string, string>;
  /** Top-level config this row adds (store, redis, trustedProxies …). */
  extra?: (ctx: RowContext) => Record<string, unknown>;
  /** The full pipeline: default policies on and the access log written to a file. */
  deployment?: boolean;
  /** The access log on (level info), written to a file (implied by `deployment`). */
  accessLog?: boolean;
  /** Arguments after `start --config <file>` (e.g. --workers 2). */
  args?: string[];
  /** Where the gateway runs: the server core(s) unless this says otherwise. */
  cpu?: CpuRole;
  /** The GET request's path: `/v1/accounts/123` (a 199-byte account) unless the row says otherwise. */
  getPath?: string;
  /** A request the row's policy must visibly act on, checked before load so a row never measures a policy that is not there. */
  proof?: Proof;
}

/** Sent once without the row's headers unless `headers` says otherwise; passes when the answer has `status` (and `header`, if given). */
export interface Proof {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  header?: string;
  /** Text the answer's body must not hold (a field the policy removes). */
  bodyExcludes?: string;
}

const bearer = (ctx: RowContext) => ({ authorization: `Bearer ${ctx.store.key}` });
const withStore = (ctx: RowContext) => ({ store: { path: ctx.store.path }, apiKeys: { pepper: '${env:BENCH_PEPPER}' } });
/** wrk plays a trusted proxy forwarding for a public client, so geo does a real database lookup. */
const forwarded = { 'x-forwarded-for': '8.8.8.8' };
const trusted = { trustedProxies: ['127.0.0.1'] };
const validate = (ctx: RowContext) => ({ contract: ctx.contract, pathPrefix: '/v1' });
const scopes = { scopes: ['accounts:read'], methods: { POST: ['payments:write'] } };
const geo = { denyCountries: ['KP', 'IR'], headers: ['country'] };
/** Limits high enough that nothing is refused: the cost of checking is what is measured. */
const unauthenticated: Proof = { method: 'GET', path: '/v1/accounts/123', status: 401 };
const limited: Proof = { method: 'GET', path: '/v1/accounts/123', status: 200, header: 'ratelimit-policy' };
const limits = (store: 'memory' | 'redis', by: string) => ({ store, onStoreFailure: 'closed', limits: [{ name: 'per-second', limit: 1_000_000_000, windowSeconds: 1, by: [by] }] });

/** The path the bench upstream answers with a 2 KB JSON list of accounts (servers.ts). */
export const LIST_PATH = '/v1/accounts/list';
const fieldsPolicy = {
  response: {
    mode: 'allow',
    paths: ['/accounts/*/id', '/accounts/*/iban', '/accounts/*/currency', '/accounts/*/status'],
    redact: [{ path: '/accounts/*/iban', action: 'mask', keepLast: 4 }],
  },
};

export const ROWS: Row[] = [
  { id: 'reference', label: 'node:http + undici reference', baseline: 'reference', transport: 'reference' },
  { id: 'bare', label: 'Portcullis, no policies', baseline: 'reference', transport: 'http', policies: () => ({}) },
  { id: 'access-log', label: 'no policies, access log to a file', baseline: 'reference', transport: 'http', policies: () => ({}), accessLog: true },
  { id: 'apikey', label: 'API key (auth-apikey)', baseline: 'reference', transport: 'http', policies: () => ({ 'auth-apikey': {} }), headers: bearer, extra: withStore, proof: unauthenticated },
  {
    id: 'jwt',
    label: 'JWT (auth-jwt, ES256, static key)',
    baseline: 'reference',
    transport: 'http',
    policies: (ctx) => ({ 'auth-jwt': { issuers: [{ issuer: JWT_ISSUER, keys: [ctx.jwt.jwk], algorithms: ['ES256'] }], audiences: [JWT_AUDIENCE], typ: 'at+jwt' } }),
    headers: (ctx) => ({ authorization: `Bearer ${ctx.jwt.token}` }),
    proof: unauthenticated,
  },
  { id: 'scope', label: 'API key + scope (authorize)', baseline: 'reference', transport: 'http', policies: () => ({ 'auth-apikey': {}, authorize: scopes }), headers: bearer, extra: withStore, proof: unauthenticated },
  { id: 'ratelimit-memory', label: 'rate limit, memory', baseline: 'reference', transport: 'http', policies: () => ({ ratelimit: limits('memory', 'ip') }), proof: limited },
  { id: 'ratelimit-redis', label: 'rate limit, Redis', baseline: 'reference', transport: 'http', policies: () => ({ ratelimit: limits('redis', 'ip') }), extra: (ctx) => ({ redis: ctx.redis }), proof: limited },
  { id: 'validate', label: 'OpenAPI validation', baseline: 'reference', transport: 'http', policies: (ctx) => ({ validate: validate(ctx) }), proof: { method: 'POST', path: '/v1/payments', body: '{"amount":"a lot"}', status: 400 } },
  { id: 'sanitize', label: 'sanitize (every body string)', baseline: 'reference', transport: 'http', policies: () => ({ sanitize: { body: {} } }) },
  { id: 'geo', label: 'geo (country lookup, deny list)', baseline: 'reference', transport: 'http', policies: () => ({ geo }), headers: () => forwarded, extra: () => trusted, proof: { method: 'GET', path: '/v1/accounts/123', headers: { 'x-forwarded-for': '175.45.176.1' }, status: 403 } },
  { id: 'tls-reference', label: 'TLS listener, no policies (via stunnel)', baseline: 'tls-reference', transport: 'tls', policies: () => ({}) },
  { id: 'mtls', label: 'mTLS + auth-mtls, CRL (via stunnel)', baseline: 'tls-reference', transport: 'mtls', policies: () => ({ 'auth-mtls': { consumerUri: { issuers: ['CN=Bench CA'] } } }) },
  {
    id: 'full',
    label: 'full: key+scope+limit+validation+geo+log',
    baseline: 'reference',
    transport: 'http',
    deployment: true,
    policies: (ctx) => ({ 'auth-apikey': {}, authorize: scopes, ratelimit: limits('memory', 'consumer'), validate: validate(ctx), geo }),
    headers: (ctx) => ({ ...bearer(ctx), ...forwarded }),
    extra: (ctx) => ({ ...withStore(ctx), ...trusted }),
    proof: unauthenticated,
  },
  // Workers (issue 16 point 4): on 2 cores the load generator needs a core too. `bare` is one
  // process pinned to the server core; two workers either get every core, sharing core 0 with
  // wrk and the upstream, or are both pinned to the server core (what a second process costs).
  { id: 'workers-2', label: '--workers 2, no policies, unpinned', baseline: 'bare', transport: 'http', policies: () => ({}), args: ['--workers', '2'], cpu: 'none' },
  { id: 'workers-2-one-core', label: '--workers 2, no policies, server core', baseline: 'bare', transport: 'http', policies: () => ({}), args: ['--workers', '2'] },
  // Field minimisation (issue 20): a 2 KB JSON list of ten accounts, without and with an
  // allowlist of four fields per account and a masked IBAN; `fields` is read against `list-2k`.
  { id: 'list-2k', label: 'no policies, 2 KB JSON list', baseline: 'reference', transport: 'http', policies: () => ({}), getPath: LIST_PATH },
  { id: 'fields', label: 'field allowlist + mask, 2 KB JSON list', baseline: 'list-2k', transport: 'http', policies: () => ({ fields: fieldsPolicy }), getPath: LIST_PATH, proof: { method: 'GET', path: LIST_PATH, status: 200, bodyExcludes: 'balance' } },
];

/** The rows named in `list` (comma-separated ids; empty: all), in table order, with their baselines. Throws on an unknown id. */
export function selectRows(list: string | undefined): Row[] {
  const wanted = new Set((list ?? '').split(',').map((id) => id.trim()).filter(Boolean));
  for (const id of wanted) if (!ROW_IDS.includes(id as RowId)) throw new Error(`BENCH_ROWS: unknown row ${id} (rows: ${ROW_IDS.join(', ')})`);
  if (wanted.size === 0) return ROWS;
  // Baselines of baselines too (workers-2 → bare → reference); ROWS lists every baseline before its rows.
  for (const row of [...ROWS].reverse()) if (wanted.has(row.id)) wanted.add(row.baseline);
  return ROWS.filter((row) => wanted.has(row.id));
}

export interface GatewayPorts {
  listener: number;
  admin: number;
}

/** The whole `portcullis start` config of a gateway row. */
export function gatewayConfig(row: Row, ctx: RowContext, ports: GatewayPorts): Record<string, unknown> {
  const policies = row.policies?.(ctx) ?? {};
  const certs = ctx.certs;
  const tls =
    row.transport === 'http'
      ? undefined
      : {
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          watchFiles: false,
          ...(row.transport === 'mtls' ? { clientCertificates: { mode: 'required', caFiles: [certs.ca], crl: { files: [certs.crl] } } } : {}),
        };
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port: ports.listener, ...(tls ? { tls } : {}) }],
    admin: { host: '127.0.0.1', port: ports.admin },
    upstreams: { api: { targets: [ctx.upstream] } },
    lifecycle: { watchConfigFile: false },
    logging: { level: row.deployment || row.accessLog ? 'info' : 'warn' },
    ...(row.deployment ? {} : { policies: { 'request-size-limit': { enabled: false }, 'security-headers': { enabled: false } } }),
    ...row.extra?.(ctx),
    routes: [
      { name: 'get-account', methods: ['GET'], path: '/v1/accounts/:id', upstream: 'api', policies },
      { name: 'create-payment', methods: ['POST'], path: '/v1/payments', upstream: 'api', policies },
    ],
  };
}

/** Where the full pipeline's access log goes: a file, as a deployment writing to disk or a collector's pipe. */
export function accessLogFile(ctx: RowContext, row: Row): string | undefined {
  return row.deployment || row.accessLog ? join(ctx.dir, `${row.id}.access.log`) : undefined;
}
