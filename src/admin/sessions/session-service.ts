/**
 * Server-side admin sessions: a random bearer token (`ptc_ses_…`, 256 bits) whose SHA-256 digest
 * finds the row, an idle timeout and an absolute one (OWASP session management: both, enforced by
 * the server, not by the cookie's lifetime), revocation one by one or all of a user's at once. A
 * new session (new id, new token) is opened at every login and step-up, and the old one revoked,
 * so a token planted before a login or a privilege change is worth nothing after it.
 *
 * The CSRF token of a session is derived from its token (HMAC-SHA256 keyed by it): unguessable
 * without the token, nothing more to store, and it tells nothing of the token it came from.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminSessionRepository, AdminSessionRow } from '../../store/admin-sessions.js';
import type { WriteTx } from '../../store/store.js';

export const SESSION_TOKEN_PREFIX = 'ptc_ses_';

export interface SessionTimeouts {
  readonly idleTimeoutMinutes: number;
  readonly absoluteTimeoutHours: number;
}

export interface OpenSession {
  readonly userId: string;
  readonly method: string;
  readonly mfa: boolean;
  readonly mfaAt?: number | undefined;
  readonly enrolOnly: boolean;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/** Touch the idle clock at most this often: a burst of console calls is one write, not many. */
const TOUCH_EVERY_MS = 15_000;

export class SessionService {
  constructor(
    readonly repo: AdminSessionRepository,
    private readonly timeouts: () => SessionTimeouts,
    private readonly clock: Clock,
  ) {}

  /** Opens a session in the caller's unit of work; the token is returned once and never stored. */
  async open(tx: WriteTx, session: OpenSession): Promise<{ row: AdminSessionRow; token: string }> {
    const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = tx.now + this.timeouts().absoluteTimeoutHours * 3_600_000;
    const row = await this.repo.create(tx, { ...session, tokenHash: tokenHash(token), expiresAt });
    return { row, token };
  }

  /** The live session of a token, its idle clock moved; 401 admin.session_expired otherwise. */
  async resolve(token: string): Promise<AdminSessionRow> {
    const row = token.startsWith(SESSION_TOKEN_PREFIX) ? await this.repo.findByTokenHash(tokenHash(token)) : undefined;
    if (!row) throw new GatewayError('admin.session_expired', { detail: 'No such session: log in again.' });
    const now = this.clock.now();
    if (row.revoked_at !== null) throw new GatewayError('admin.session_expired', { detail: 'The session was ended: log in again.' });
    if (now >= row.expires_at) throw new GatewayError('admin.session_expired', { detail: 'The session reached its absolute timeout: log in again.' });
    if (now - row.last_seen_at >= this.timeouts().idleTimeoutMinutes * 60_000) throw new GatewayError('admin.session_expired', { detail: 'The session was idle too long: log in again.' });
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) await this.repo.touch(row.id, now);
    return row;
  }

  /**
   * Replaces a live session by a new one (new id, new token) in the caller's unit of work, when
   * what the session may do changes: a second factor enrolled (`factor: 'presented'`: the
   * enrolment proved it, the session now counts as having used it) or removed (`'kept'`: the step-up
   * freshness it had stays, no more). Whoever held the old token holds nothing afterwards.
   */
  async rotate(tx: WriteTx, sessionId: string, factor: 'presented' | 'kept'): Promise<{ row: AdminSessionRow; token: string }> {
    const old = await this.repo.find(sessionId, tx.db);
    if (!old || old.revoked_at !== null) throw new GatewayError('admin.session_expired', { detail: 'The session was ended: log in again.' });
    await this.repo.revoke(tx, old.id);
    const mfa = factor === 'presented' || old.mfa === 1;
    const mfaAt = factor === 'presented' ? tx.now : (old.mfa_at ?? undefined);
    const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const row = await this.repo.create(tx, { userId: old.user_id, method: old.method, mfa, mfaAt, enrolOnly: false, ip: old.ip ?? undefined, userAgent: old.user_agent ?? undefined, tokenHash: tokenHash(token), expiresAt: old.expires_at });
    return { row, token };
  }

  get idleTimeoutMinutes(): number {
    return this.timeouts().idleTimeoutMinutes;
  }

  /** Seconds the cookie should live: to the session's absolute end. */
  maxAgeSeconds(row: AdminSessionRow): number {
    return Math.max(0, Math.floor((row.expires_at - this.clock.now()) / 1000));
  }
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('portcullis admin csrf v1').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string): boolean {
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
