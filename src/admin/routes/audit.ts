/**
 * The audit trail (docs/audit.md): a filtered list (newest first, cursor-paginated like every
 * list), one record by seq, and an export bundle. Reading needs `audit:read`; exporting needs
 * `audit:export` and a fresh second factor (`stepUp`), and is itself recorded (`audit.export`).
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { buildBundle } from '../../audit/bundle.js';
import { verifyRange } from '../../audit/verify-range.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute } from '../route.js';
import { requireService, Timestamp } from './common.js';

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Fields = Type.Record(Type.String(), Type.Unknown());

export const AuditRecordSchema = Type.Object(
  {
    v: Type.Literal(1),
    seq: Type.Integer({ minimum: 1 }),
    time: Timestamp,
    actor: Type.Object(
      { type: Type.String(), id: Type.String(), credentialId: Type.Optional(Type.String()), mfa: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    action: Type.String(),
    target: Type.Object({ kind: Type.String(), id: Type.String() }, { additionalProperties: false }),
    changes: Type.Optional(Type.Object({ before: Type.Optional(Fields), after: Type.Optional(Fields) }, { additionalProperties: false })),
    detail: Type.Optional(Fields),
    requestId: Type.Optional(Type.String()),
    sourceIp: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('denied'), Type.Literal('failure')]),
    prevHash: Hash,
    hash: Hash,
  },
  { additionalProperties: false, description: 'One audit record, version 1 (docs/audit.md#the-record).' },
);

const TimeQuery = Type.String({ format: 'date-time', description: 'RFC 3339.' });

const ListFilters = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The actor's id (a user, token, client or command)." })),
  actorType: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'An action name: api_key.revoke.' })),
  targetKind: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: "The target's id." })),
  since: Type.Optional(TimeQuery),
  until: Type.Optional(TimeQuery),
};

const BundleSchema = Type.Object(
  {
    manifest: Type.Object(
      {
        format: Type.Literal('portcullis-audit-bundle'),
        version: Type.Literal(1),
        exportedAt: Timestamp,
        since: Type.Union([Timestamp, Type.Null()]),
        until: Type.Union([Timestamp, Type.Null()]),
        fromSeq: Type.Union([Type.Integer(), Type.Null()]),
        toSeq: Type.Union([Type.Integer(), Type.Null()]),
        records: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    records: Type.Array(AuditRecordSchema),
    checkpoints: Type.Array(
      Type.Object(
        { v: Type.Literal(1), fromSeq: Type.Integer(), toSeq: Type.Integer(), lastHash: Hash, time: Timestamp, keyId: Type.String(), previousSignature: Type.String(), signature: Type.String() },
        { additionalProperties: false },
      ),
    ),
    keys: Type.Array(Type.Object({ keyId: Type.String(), algorithm: Type.Literal('Ed25519'), publicKey: Type.String({ description: 'SPKI PEM.' }) }, { additionalProperties: false })),
  },
  { additionalProperties: false, description: 'An export bundle (docs/audit.md#export-and-verify): the CLI writes it as files.' },
);

const VerificationSchema = Type.Object(
  {
    ok: Type.Boolean({ description: 'No finding at all (records not yet anchored by a checkpoint are a finding, not_anchored).' }),
    records: Type.Integer(),
    firstSeq: Type.Union([Type.Integer(), Type.Null()]),
    lastSeq: Type.Union([Type.Integer(), Type.Null()]),
    anchoredThrough: Type.Integer({ description: 'The last record a valid checkpoint signature covers (0: none).' }),
    checkpoints: Type.Integer(),
    findings: Type.Array(
      Type.Object(
        {
          kind: Type.Union(['modified', 'missing', 'reordered', 'truncated', 'unknown_key', 'bad_signature', 'not_anchored'].map((kind) => Type.Literal(kind))),
          fromSeq: Type.Integer(),
          toSeq: Type.Integer(),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'What verifying the range found (docs/audit.md#the-algorithm).' },
);

const auditOff = 'The audit trail (it needs a store)';
const ms = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));

export const auditRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/audit',
    summary: 'List audit records, newest first; filter by actor, actorType, action, targetKind, target and time (since inclusive, until exclusive)',
    permission: 'audit:read',
    querySchema: listQuery(ListFilters),
    status: 200,
    responseSchema: listOf(AuditRecordSchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    handler: ({ query, services }) => {
      const log = requireService(services.audit, auditOff);
      const filter = { actorId: query.actor, actorType: query.actorType, action: query.action, targetKind: query.targetKind, targetId: query.target, since: ms(query.since), until: ms(query.until) };
      return paginate(query, (page) => log.page(filter, { beforeSeq: page.after === undefined ? undefined : seqOf(page.after), limit: page.limit }), (record) => String(record.seq));
    },
  }),
  defineRoute({
    // A POST: exporting is an act that is itself recorded, not a read.
    method: 'POST',
    path: '/v1/audit/export',
    summary: 'Export the audit records of a time range as a bundle (records, every checkpoint and public key), widened to checkpoint boundaries; recorded as audit.export',
    permission: 'audit:export',
    stepUp: true,
    bodySchema: Type.Object({ since: Type.Optional(TimeQuery), until: Type.Optional(TimeQuery) }, { additionalProperties: false }),
    status: 200,
    responseSchema: BundleSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ body: query, principal, services }) {
      const log = requireService(services.audit, auditOff);
      const store = requireService(services.store, auditOff);
      // Recorded before the export is read, so the bundle shows its own export when the range reaches now.
      await store.audit(principal, 'audit.export', { kind: 'audit_trail', id: 'export' }, { detail: { since: query.since ?? null, until: query.until ?? null } });
      return buildBundle(log, { since: ms(query.since), until: ms(query.until), now: Date.now() });
    },
  }),
  defineRoute({
    // A POST: it computes over a range (a body), and may read the whole chain; it changes nothing.
    method: 'POST',
    path: '/v1/audit/verify',
    summary: 'Verify the audit records of a time range in place (widened to checkpoint boundaries): hashes, links, stored columns and checkpoint signatures, as audit verify does for an export',
    permission: 'audit:read',
    bodySchema: Type.Object({ since: Type.Optional(TimeQuery), until: Type.Optional(TimeQuery) }, { additionalProperties: false }),
    status: 200,
    responseSchema: VerificationSchema,
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ body, services }) {
      const report = await verifyRange(requireService(services.audit, auditOff), ms(body.since), ms(body.until));
      return { ok: report.ok, records: report.records, firstSeq: report.firstSeq, lastSeq: report.lastSeq, anchoredThrough: report.anchoredThrough, checkpoints: report.checkpoints, findings: report.findings.map((finding) => ({ ...finding })) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/audit/:seq',
    summary: 'One audit record by its seq',
    permission: 'audit:read',
    status: 200,
    responseSchema: AuditRecordSchema,
    errors: ['admin.not_found'],
    async handler({ params, services }) {
      const log = requireService(services.audit, auditOff);
      const seq = /^[1-9][0-9]{0,15}$/.test(params.seq!) ? Number(params.seq) : undefined;
      const record = seq === undefined ? undefined : await log.get(seq);
      if (!record) throw new GatewayError('admin.not_found', { detail: `No audit record ${params.seq}.` });
      return record;
    },
  }),
];

function seqOf(cursor: string): number {
  if (!/^[0-9]{1,16}$/.test(cursor)) throw new GatewayError('admin.invalid_request', { detail: 'The cursor is not one this API gave out: pass the nextCursor of the previous page.' });
  return Number(cursor);
}

