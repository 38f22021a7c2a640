/**
 * Who changed state: every write to the store names its actor (the unit of work,
 * `store.write(actor, action, tx => …)`), so each change row and, with the audit trail, each audit
 * record is attributable. The admin API turns each authenticated request into an AdminPrincipal and
 * passes it down as the actor.
 */

/**
 * - `bootstrap-token`: the admin API's bootstrap token from `admin.token` (until admin users exist).
 * - `admin-user` / `admin-token`: admin users and their scoped tokens (admin-plane issue).
 * - `cli`: a local CLI command that opens the store directly (`portcullis keys …` without --admin-url).
 * - `system`: the gateway itself (expiry sweeps, CA housekeeping, migrations).
 * - `data-plane`: a partner acting through the data plane (OAuth token revocation, RFC 7009).
 * - `anonymous`: the caller of a public admin route (accepting an invitation); its writes name the
 *   admin user they act for instead.
 */
export type ActorKind = 'bootstrap-token' | 'admin-user' | 'admin-token' | 'cli' | 'system' | 'data-plane' | 'anonymous';

export interface Actor {
  readonly kind: ActorKind;
  /** A stable identifier within the kind: `bootstrap`, a user id, a token id, an OAuth client id, a command name. Never a secret. */
  readonly id: string;
  /** The client address the change came from, when it came over the network. */
  readonly ip?: string | undefined;
  /**
   * The credential the actor used, when it has one of its own: an admin token's id or a session's
   * id (never the secret). Audit records carry it so one leaked credential's actions can be found.
   */
  readonly credentialId?: string | undefined;
  /** Whether a second factor was used for this session or request (admin plane). */
  readonly mfa?: boolean | undefined;
  /** The request the change came from (admin API `x-request-id`), so a record leads to its log lines. */
  readonly requestId?: string | undefined;
  /** The caller's User-Agent, trimmed to a bounded, printable form (admin API). */
  readonly userAgent?: string | undefined;
}

/** The authenticated caller of one admin API request; passed down as the actor of the writes it makes. */
export interface AdminPrincipal extends Actor {
  readonly kind: 'bootstrap-token' | 'admin-user' | 'admin-token' | 'anonymous';
  /** Permissions granted (the admin-plane issue maps roles to these); the bootstrap token has `*`. */
  readonly permissions: readonly string[];
  /** The admin user acting (kind `admin-user`), or the one an admin token acts for (kind `admin-token`). */
  readonly userId?: string | undefined;
}

/** The gateway acting on its own behalf. */
export const SYSTEM_ACTOR: Actor = Object.freeze({ kind: 'system', id: 'gateway' });

/** A short, log-safe description of an actor: `bootstrap-token:bootstrap`. */
export function describeActor(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}
