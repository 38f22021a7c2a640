/**
 * The `audit` section of the config (docs/audit.md, docs/configuration.md#audit): the key that signs
 * the audit trail's checkpoints and how often a checkpoint is made. Its own file because
 * config/schema.ts is at its size limit; schema.ts names it as one property.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { SecretValue } from './secret.js';
import { auditSinksProperties } from './audit-sinks-schema.js';

export const AuditConfigSchema = Type.Object(
  {
    signingKey: Type.Optional(
      Type.Unsafe<SecretValue>(
        Type.String({
          secret: true,
          description: 'The Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints, by reference (${env:NAME}). Without it (and without signingKeyFile) no checkpoint is made and every record stays "not yet anchored".',
        }),
      ),
    ),
    signingKeyFile: Type.Optional(Type.String({ filePath: true, description: "Or: a file holding that PEM, relative to the config file's folder (readable by the gateway's user only)." })),
    checkpoint: Type.Object(
      {
        everyRecords: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'A checkpoint is made once this many records are not yet anchored.' }),
        everySeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300, description: '…or once the oldest record not yet anchored is this old (checked this often).' }),
      },
      { additionalProperties: false, default: {}, description: 'When a signed checkpoint anchors the newest records.' },
    ),
    retention: Type.Object(
      {
        minimumDays: Type.Integer({
          minimum: 0,
          maximum: 36_500,
          default: 90,
          description: 'Records younger than this many days are never archived out of the store (`portcullis audit archive` refuses a --before within it). 90 keeps the three months PCI DSS 10.5.1 wants immediately available; keep the archived bundles for the rest of the year.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'How long audit records stay in the store before they may be archived (docs/audit.md#retention-and-archiving).' },
    ),
    // Streaming to sinks, retention and the audited security events (audit-sinks-schema.ts).
    ...auditSinksProperties,
  },
  { additionalProperties: false, default: {}, description: 'The tamper-evident audit trail: signed checkpoints over its hash chain.' },
);

export type AuditConfig = Static<typeof AuditConfigSchema>;
