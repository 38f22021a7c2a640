/**
 * The audit record (docs/audit.md#the-record): its shape, version 1, and its canonical hash. Pure
 * data and functions: the chain (audit-chain.ts) appends records, audit/ verifies and exports them,
 * and a third party can re-implement `auditRecordHash` from docs/audit.md alone.
 *
 * hash = hex(SHA-256(UTF-8(JCS(record without `hash`)))), where JCS is the JSON Canonicalization
 * Scheme (RFC 8785) and the record includes `prevHash`, the previous record's `hash` (64 zeros for
 * the first).
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Actor, ActorKind } from '../core/actor.js';

/** The version of the record shape; a change of shape is a new version, never an edit of this one. */
export const AUDIT_RECORD_VERSION = 1;

/** `prevHash` of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** What stands in for a secret field in `changes`: the key says a secret changed, never its value. */
export const SECRET_MARKER = '[secret]';

/** The after side of a secret that was replaced by a new one (a rotation): still never the value. */
export const SECRET_REPLACED = '[secret: replaced]';

/** What happened to the attempt: a change that committed is `success`; refused attempts are `denied`. */
export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditActor {
  readonly type: ActorKind;
  readonly id: string;
  readonly credentialId?: string;
  readonly mfa?: boolean;
}

export interface AuditTarget {
  /** A change entity (`api_key`) or, for audit-only events, what the event is about (`admin_api`, `node`). */
  readonly kind: string;
  readonly id: string;
}

/** Before/after of the fields that changed; absent side: created (no before) or deleted (no after). */
export interface AuditChanges {
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
}

/** One record of the chain, version 1 (the exact JSON, docs/audit.md#the-record). */
export interface AuditRecord {
  readonly v: typeof AUDIT_RECORD_VERSION;
  readonly seq: number;
  /** RFC 3339 UTC with milliseconds: the unit of work's time. */
  readonly time: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: AuditTarget;
  readonly changes?: AuditChanges;
  /** Other facts of an audit-only event (counts, a reason, a config hash): ids and names, never a secret. */
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly requestId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly outcome: AuditOutcome;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * What a caller may add to the record of a change (recordChange's 4th argument) or an audit-only
 * event (`store.audit`). Secret fields are never passed: put SECRET_MARKER (or leave the field out);
 * as a second guard, fields whose name says secret (SECRET_FIELD) are replaced by the marker anyway.
 */
export interface AuditDetail {
  /** Whole before/after objects; only the fields whose values differ are kept. */
  readonly changes?: { readonly before?: object | null | undefined; readonly after?: object | null | undefined } | undefined;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
  readonly outcome?: AuditOutcome | undefined;
}

/** Field names that hold a secret or a digest of one, in any naming style (`secret_hash`, `privateKey`, `totpSeed`). */
export const SECRET_FIELD = /secret|password|passphrase|hash|private|seed|pepper|^token$|^key$|apikey|credential_?value/i;

/** The record's hash: SHA-256 over the RFC 8785 canonical JSON of everything but `hash` (prevHash included). */
export function auditRecordHash(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _ignored, ...unsigned } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(unsigned), 'utf8').digest('hex');
}

/** RFC 8785 JSON Canonicalization Scheme (sorted keys, ECMAScript number form, minimal escaping). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the value has no JSON form');
  return text;
}

/** The audit actor of a store actor: who, with which credential, whether MFA was used. */
export function auditActor(actor: Actor): AuditActor {
  return {
    type: actor.kind,
    id: actor.id,
    ...(actor.credentialId === undefined ? {} : { credentialId: actor.credentialId }),
    ...(actor.mfa === undefined ? {} : { mfa: actor.mfa }),
  };
}

/**
 * The fields of `before` and `after` whose values differ (compared as canonical JSON), with secret
 * fields masked. Undefined when nothing is left to say.
 */
export function diffChanges(before: object | null | undefined, after: object | null | undefined): AuditChanges | undefined {
  // Compared before masking, so a secret field that changed is seen to change (then masked).
  const b = toPlain(before);
  const a = toPlain(after);
  if (!b && !a) return undefined;
  if (!b) return { after: maskSecrets(a!) };
  if (!a) return { before: maskSecrets(b) };
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (canonicalJson(b[key] ?? null) === canonicalJson(a[key] ?? null)) continue;
    if (key in b) changedBefore[key] = b[key];
    if (key in a) changedAfter[key] = a[key];
  }
  if (Object.keys(changedBefore).length === 0 && Object.keys(changedAfter).length === 0) return undefined;
  return { before: maskSecrets(changedBefore), after: maskSecrets(changedAfter) };
}

/** A deep copy where every field named like a secret (and not null) is SECRET_MARKER. */
export function maskSecrets(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (SECRET_FIELD.test(key) && field !== null && field !== SECRET_MARKER && field !== SECRET_REPLACED) out[key] = SECRET_MARKER;
    else out[key] = maskValue(field, true);
  }
  return out;
}

function maskValue(value: unknown, mask: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => maskValue(item, mask));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    if (mask) return maskSecrets(value as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = maskValue(field, false);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** An object as plain JSON data (Dates as ISO strings, undefined fields dropped). */
function toPlain(value: object | null | undefined): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  return maskValue(value, false) as Record<string, unknown>;
}

/** The parts of a record a caller decides; the chain fills in seq, time, prevHash and hash. */
export interface AuditEntry {
  readonly action: string;
  readonly target: AuditTarget;
  readonly detail?: AuditDetail | undefined;
}

/** A User-Agent kept printable and bounded, so a client cannot put control characters or a megabyte into the trail. */
export function boundedUserAgent(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const printable = value.replace(/[^\x20-\x7e]/g, '?').slice(0, 256);
  return printable === '' ? undefined : printable;
}

