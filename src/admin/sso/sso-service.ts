/**
 * Admin single sign-on (issue 18 §5, docs/admin.md#single-sign-on): start a sign-in at the
 * provider, take its answer, and open a session, or ask for our second factor first.
 *
 * - **Start**: a random `state` and a random browser-binding secret, set as the
 *   `__Host-portcullis-sso` cookie (SameSite=Lax: it must come back on the provider's top-level
 *   redirect). The server keeps the state's digest, single use, for `requestTtlSeconds`; the PKCE
 *   verifier and the nonce are derived from the binding secret (HMAC), so only the browser that
 *   started can finish (no login CSRF), and the stored row alone completes nothing.
 * - **Callback**: the state is taken (one DELETE: a replay finds nothing), the cookie must match,
 *   then the code is redeemed and the ID token verified (oidc-client.ts); its claims give the
 *   identity and roles (sso-claims.ts, deny by default). The user is found by issuer + `sub`, or
 *   provisioned (audited); a local user with the same email or name is never taken over. Roles
 *   follow the provider at every sign-in (audited when they change).
 * - **Second factor**: when the ID token asserts MFA as configured, the session has it; else a
 *   user with our factor gets a one-time `mfaToken` and opens the session with POST
 *   /v1/auth/sso/mfa (code or recovery code, brute-force limited like login); a user without one
 *   gets a session under the MFA policy (grace period, then enrolment only).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AdminOidcConfig } from '../../config/admin-sso-schema.js';
import type { Actor } from '../../core/actor.js';
import { GatewayError } from '../../core/errors.js';
import { normalizeIp } from '../../net/client-ip.js';
import type { AdminSessionRow } from '../../store/admin-sessions.js';
import { AdminSsoRepository } from '../../store/admin-sso.js';
import { lockRevision } from '../../store/store.js';
import type { AdminPlane } from '../admin-plane.js';
import { mustEnrolNow } from '../mfa/mfa-policy.js';
import type { SecondFactor } from '../mfa/mfa-service.js';
import type { AdminAccount } from '../sessions/accounts.js';
import { ANONYMOUS, type AdminAuth } from '../sessions/admin-auth.js';
import { planeAccounts } from '../sessions/plane-accounts.js';
import { readSessionCookie } from '../sessions/session-cookie.js';
import { tokenHash } from '../sessions/session-service.js';
import { OidcClient, SsoRefused, SsoUnavailable, type OidcClientDeps } from './oidc-client.js';
import { isRefusal, readIdentity, type SsoIdentity } from './sso-claims.js';

export const SSO_BINDING_COOKIE = '__Host-portcullis-sso';
/** The second-factor step's token after a provider sign-in without MFA (256 random bits). */
export const SSO_MFA_TOKEN_PREFIX = 'ptc_ssm_';

export type SsoOutcome = 'signed_in' | 'mfa_required' | 'refused' | 'failed' | 'unavailable';

export interface SsoServiceDeps extends OidcClientDeps {
  readonly plane: AdminPlane;
  readonly auth: AdminAuth;
  /** `admin.sso.oidc` of the config in force (a reload may change it). */
  readonly config: () => AdminOidcConfig | undefined;
  /** Counts each sign-in's outcome (portcullis_admin_sso_logins_total). */
  readonly count?: ((outcome: SsoOutcome) => void) | undefined;
}

export type SsoSignIn =
  | { readonly kind: 'session'; readonly account: AdminAccount; readonly session: AdminSessionRow; readonly token: string }
  | { readonly kind: 'mfa_required'; readonly account: AdminAccount; readonly mfaToken: string; readonly expiresAt: number };

const OWNER = 'owner';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** Derives a per-sign-in value from the binding secret: 43 base64url characters, a valid PKCE verifier (RFC 7636 §4.1). */
const derive = (binding: string, label: string, state: string) => createHmac('sha256', binding).update(`${label}\0${state}`).digest('base64url');

/** Thrown inside a unit of work to roll it back when the second factor does not hold. */
class FactorRefused extends Error {}

export class SsoService {
  readonly #repo: AdminSsoRepository;
  #client: { key: string; client: OidcClient } | undefined;

  constructor(private readonly deps: SsoServiceDeps) {
    this.#repo = new AdminSsoRepository(deps.plane.store.db);
  }

  get configured(): boolean {
    return this.deps.config() !== undefined;
  }

  /** Every role of `roleMapping` exists (built-in or custom): the problems, [] when none. */
  async roleMappingProblems(): Promise<string[]> {
    const config = this.deps.config();
    if (!config) return [];
    const problems: string[] = [];
    for (const [group, roles] of Object.entries(config.roleMapping)) {
      try {
        await this.deps.plane.resolver.requireRoles(roles);
      } catch (error) {
        problems.push(`admin.sso.oidc.roleMapping["${group}"]: ${(error as GatewayError).detail ?? (error as Error).message}`);
      }
    }
    return problems;
  }

  /** The provider's authorization URL to redirect to, and the binding cookie to set. */
  async start(): Promise<{ location: string; cookie: string }> {
    const config = this.#config();
    const state = randomBytes(32).toString('base64url');
    const binding = randomBytes(32).toString('base64url');
    const location = await this.#guard(() => this.#oidc(config).authorizationUrl({ state, nonce: derive(binding, 'nonce', state), codeVerifier: derive(binding, 'pkce', state) }));
    const now = this.deps.clock.now();
    await this.#repo.addRequest({ id: sha256(state), purpose: 'login', binding_hash: sha256(binding), user_id: null, created_at: now, expires_at: now + config.requestTtlSeconds * 1000 });
    return { location, cookie: `${SSO_BINDING_COOKIE}=${binding}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${config.requestTtlSeconds}` };
  }

  /** Takes the provider's answer (`search`: the callback's query string). */
  async callback(req: IncomingMessage, search: string): Promise<SsoSignIn> {
    const config = this.#config();
    const ip = normalizeIp(req.socket.remoteAddress);
    const query = new URLSearchParams(search);
    const state = query.get('state');
    const row = state ? await this.#repo.takeRequest(sha256(state), 'login', this.deps.clock.now()) : undefined;
    if (!state || !row) return this.#failed(ip, 'the state is unknown, used or expired');
    const binding = readCookie(req, SSO_BINDING_COOKIE);
    if (binding === undefined || !sameDigest(sha256(binding), row.binding_hash ?? '')) return this.#failed(ip, 'the browser finishing the sign-in is not the one that started it (binding cookie)');
    const callback = new URL(config.redirectUri);
    callback.search = search;
    const claims = await this.#guard(() => this.#oidc(config).redeem(callback, { state, nonce: derive(binding, 'nonce', state), codeVerifier: derive(binding, 'pkce', state) }), ip);
    const identity = readIdentity(claims, config);
    if (isRefusal(identity)) return this.#refused(ip, identity.code, identity.detail, identity.reason, typeof claims.sub === 'string' ? claims.sub : 'unknown');
    const account = await this.#account(identity, ip);
    if (account.status !== 'active') return this.#refused(ip, 'admin.sso_refused', 'This admin user is disabled here.', 'user disabled', identity.subject);
    const previous = readSessionCookie(req);
    if (identity.providerMfa) return this.#open(req, account, identity, { method: 'sso+provider_mfa', mfa: true }, previous);
    if (await this.deps.auth.mfa.hasFactor(account.id)) {
      const mfaToken = SSO_MFA_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const now = this.deps.clock.now();
      const expiresAt = now + config.requestTtlSeconds * 1000;
      await this.#repo.addRequest({ id: sha256(mfaToken), purpose: 'mfa', binding_hash: null, user_id: account.id, created_at: now, expires_at: expiresAt });
      this.deps.count?.('mfa_required');
      return { kind: 'mfa_required', account, mfaToken, expiresAt };
    }
    return this.#open(req, account, identity, { method: 'sso', mfa: false }, previous);
  }

  /** The second-factor step after a provider sign-in without MFA: opens the session, or 401 admin.login_failed. */
  async completeMfa(req: IncomingMessage, mfaToken: string, factor: SecondFactor): Promise<Extract<SsoSignIn, { kind: 'session' }>> {
    const { auth, clock } = this.deps;
    const ip = normalizeIp(req.socket.remoteAddress);
    const id = sha256(mfaToken);
    const pending = await this.deps.plane.store.db.selectFrom('admin_sso_requests').select(['user_id', 'expires_at']).where('id', '=', id).where('purpose', '=', 'mfa').executeTakeFirst();
    const account = pending?.user_id ? await planeAccounts(this.deps.plane).find(pending.user_id) : undefined;
    if (!account || account.status !== 'active' || Number(pending!.expires_at) <= clock.now()) return this.#failed(ip, 'the second-factor step is unknown, used or expired');
    const wait = auth.throttle.waitSeconds(account.name, ip, clock.now());
    if (wait > 0) throw new GatewayError('auth.too_many_failures', { detail: 'Too many failed attempts; try again later.', headers: { 'retry-after': String(wait) } });
    const actor: Actor = { kind: 'admin-user', id: account.id, ip };
    try {
      const opened = await this.deps.plane.store.write(actor, 'admin_session.create', async (tx) => {
        if (!(await this.#repo.takeRequest(id, 'mfa', tx.now, tx.db))) throw new SsoRefused('the second-factor step was used meanwhile');
        const how = await auth.mfa.verify(tx, account.id, factor, { purpose: 'login', sessionId: null });
        if (!how) throw new FactorRefused();
        return auth.sessions.open(tx, { userId: account.id, method: `sso+${how}`, mfa: true, enrolOnly: false, ip, userAgent: req.headers['user-agent'] });
      });
      auth.throttle.recordSuccess(account.name, ip);
      this.#signedIn(account, opened.row, ip);
      return { kind: 'session', account, session: opened.row, token: opened.token };
    } catch (error) {
      if (error instanceof SsoRefused) return this.#failed(ip, error.reason);
      if (!(error instanceof FactorRefused)) throw error;
      const locked = auth.throttle.recordFailure(account.name, ip, clock.now());
      auth.logger().warn({ event: 'admin.login_failed', name: account.name, clientIp: ip, failed: 'second factor' }, 'admin login failed');
      await this.deps.plane.store.audit({ ...ANONYMOUS, ip }, 'admin.login_failed', { kind: 'admin_login', id: account.name }, { detail: { failed: 'second factor', via: 'sso' }, outcome: 'denied' });
      if (locked) auth.logger().warn({ event: 'admin.login_locked', name: account.name, clientIp: ip }, 'admin login locked out for a while');
      throw new GatewayError('admin.login_failed', { detail: 'The code is not right.' });
    }
  }

  close(): void {
    this.#client?.client.close();
    this.#client = undefined;
  }

  #config(): AdminOidcConfig {
    const config = this.deps.config();
    if (!config) throw new GatewayError('admin.not_found', { detail: 'Single sign-on is off in this configuration (admin.sso).' });
    return config;
  }

  /** The protocol client of the config in force (a new one when a reload changed it). */
  #oidc(config: AdminOidcConfig): OidcClient {
    const key = JSON.stringify({ ...config, clientSecret: config.clientSecret?.reveal() });
    if (this.#client?.key !== key) {
      this.#client?.client.close();
      this.#client = { key: key, client: new OidcClient(config, this.deps) };
    }
    return this.#client.client;
  }

  /** Runs a protocol step; the provider's failures become 503 or 401 problems, logged and counted. */
  async #guard<T>(step: () => Promise<T>, ip?: string): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SsoUnavailable) {
        this.deps.count?.('unavailable');
        this.deps.logger().error({ event: 'admin.sso_unavailable', issuer: this.deps.config()?.issuer, reason: error.message }, 'single sign-on: the identity provider cannot be reached');
        throw new GatewayError('admin.sso_unavailable', { detail: 'The identity provider cannot be reached; try again later, or sign in with a password.', internal: error.message });
      }
      if (error instanceof SsoRefused) return this.#failed(ip ?? 'unknown', error.reason);
      throw error;
    }
  }

  /** 401 admin.sso_failed: the sign-in does not hold (state, binding, code, ID token). */
  async #failed(ip: string, reason: string): Promise<never> {
    this.deps.count?.('failed');
    this.deps.logger().warn({ event: 'admin.sso_failed', clientIp: ip, reason }, 'single sign-on failed');
    await this.deps.plane.store.audit({ ...ANONYMOUS, ip }, 'admin.sso_refused', { kind: 'admin_sso', id: 'unknown' }, { detail: { code: 'admin.sso_failed', reason }, outcome: 'denied' });
    throw new GatewayError('admin.sso_failed', { detail: 'The sign-in could not be completed: start again from /v1/auth/sso/start.', internal: reason });
  }

  /** A verified identity that may not sign in here (no mapped role, domain, conflict, disabled). */
  async #refused(ip: string, code: 'admin.sso_refused' | 'admin.sso_no_role' | 'admin.sso_account_conflict', detail: string, reason: string, subject: string): Promise<never> {
    this.deps.count?.('refused');
    this.deps.logger().warn({ event: 'admin.sso_refused', code, clientIp: ip, subject, reason }, 'single sign-on refused');
    await this.deps.plane.store.audit({ ...ANONYMOUS, ip }, 'admin.sso_refused', { kind: 'admin_sso', id: subject.slice(0, 128) }, { detail: { code, reason }, outcome: 'denied' });
    throw new GatewayError(code, { detail });
  }

  /** The linked user (its roles brought in line with the provider's), or a new one; never a local user taken over. */
  async #account(identity: SsoIdentity, ip: string): Promise<AdminAccount> {
    const { plane } = this.deps;
    const linked = await this.#repo.findIdentity(identity.issuer, identity.subject);
    const accounts = planeAccounts(plane);
    if (linked) {
      const user = await plane.users.users.findById(linked.user_id);
      if (user) {
        if (user.roles.join(' ') !== [...identity.roles].sort().join(' ') && user.status === 'active') await this.#syncRoles(user.id, user.roles, identity, ip);
        return (await accounts.find(user.id))!;
      }
    }
    const clash = (await plane.users.users.findByEmail(identity.email)) ?? (await plane.users.users.findByName(identity.name));
    if (clash) {
      return this.#refused(ip, 'admin.sso_account_conflict', 'A local admin user with this email or name exists and is not linked to this identity: an owner must remove or rename it first (docs/admin.md#single-sign-on).', `local user ${clash.id} has this email or name`, identity.subject);
    }
    await this.#requireRoles(identity, ip);
    const actor: Actor = { kind: 'system', id: 'sso', ip };
    const user = await plane.store.write(actor, 'admin_user.sso_provision', async (tx) => {
      // Linked by a racing sign-in of the same person meanwhile: use theirs.
      const raced = await this.#repo.findIdentity(identity.issuer, identity.subject, tx.db);
      if (raced) return plane.users.users.get(raced.user_id, tx.db);
      const created = await plane.users.users.create(tx, { name: identity.name, email: identity.email, roles: identity.roles });
      const active = await plane.users.users.setStatus(tx, created.id, 'active');
      await this.#repo.link(tx, { issuer: identity.issuer, subject: identity.subject, userId: created.id, email: identity.email });
      if (identity.roles.includes(OWNER)) await plane.bootstrap.disableForFirstOwner(tx);
      return active;
    });
    this.deps.logger().info({ event: 'admin.sso_provisioned', userId: user.id, name: user.name, roles: identity.roles, issuer: identity.issuer }, 'single sign-on: admin user provisioned');
    return (await accounts.find(user.id))!;
  }

  async #syncRoles(userId: string, before: readonly string[], identity: SsoIdentity, ip: string): Promise<void> {
    await this.#requireRoles(identity, ip);
    const demotesLastOwner = await this.deps.plane.store.write({ kind: 'system', id: 'sso', ip }, 'admin_user.sso_sync_roles', async (tx) => {
      await lockRevision(tx);
      if (before.includes(OWNER) && !identity.roles.includes(OWNER)) {
        const owners = (await this.deps.plane.users.users.list(tx.db)).filter((user) => user.id !== userId && user.status === 'active' && user.roles.includes(OWNER));
        if (owners.length === 0) return true;
      }
      await this.deps.plane.users.users.setRoles(tx, userId, identity.roles);
      return false;
    });
    if (demotesLastOwner) {
      return this.#refused(ip, 'admin.sso_account_conflict', 'The identity provider no longer maps you to owner, and you are the last owner: make another user owner first.', 'would demote the last active owner', identity.subject);
    }
    this.deps.logger().info({ event: 'admin.sso_roles_changed', userId, before, after: identity.roles }, 'single sign-on: roles follow the identity provider');
  }

  async #requireRoles(identity: SsoIdentity, ip: string): Promise<void> {
    try {
      await this.deps.plane.resolver.requireRoles(identity.roles);
    } catch (error) {
      const detail = (error as GatewayError).detail ?? 'unknown role';
      return this.#refused(ip, 'admin.sso_no_role', `admin.sso.oidc.roleMapping names a role that does not exist: ${detail}`, detail, identity.subject);
    }
  }

  async #open(req: IncomingMessage, account: AdminAccount, identity: SsoIdentity, how: { method: string; mfa: boolean }, previousToken: string | undefined): Promise<SsoSignIn> {
    const { auth } = this.deps;
    const ip = normalizeIp(req.socket.remoteAddress);
    const opened = await this.deps.plane.store.write({ kind: 'admin-user', id: account.id, ip }, 'admin_session.create', async (tx) => {
      await this.#repo.touch(tx, identity.issuer, identity.subject, identity.email);
      // Session fixation: whatever session the browser came with ends here.
      if (previousToken !== undefined) {
        const previous = await auth.sessions.repo.findByTokenHash(tokenHash(previousToken), tx.db);
        if (previous) await auth.sessions.repo.revoke(tx, previous.id);
      }
      const enrolOnly = !how.mfa && mustEnrolNow(account, false, auth.policy(), tx.now);
      return auth.sessions.open(tx, { userId: account.id, method: how.method, mfa: how.mfa, enrolOnly, ip, userAgent: req.headers['user-agent'] });
    });
    this.#signedIn(account, opened.row, ip);
    return { kind: 'session', account, session: opened.row, token: opened.token };
  }

  #signedIn(account: AdminAccount, row: AdminSessionRow, ip: string): void {
    this.deps.count?.('signed_in');
    this.deps.auth.logger().info({ event: 'admin.login_succeeded', userId: account.id, sessionId: row.id, method: row.method, clientIp: ip }, 'admin user logged in');
  }
}

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** A cookie's value, or undefined (absent, empty, or sent twice: then nothing is trusted). */
function readCookie(req: IncomingMessage, name: string): string | undefined {
  const values = (req.headers.cookie ?? '')
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1));
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}
