/**
 * The `credentials` section: how the gateway keeps the credentials it injects into upstream
 * requests (issue 19 §4, §5; docs/outbound.md). The credentials themselves are store entities
 * (`portcullis credentials …`); this section holds the gateway-wide settings and defaults.
 */
import { Type } from '@sinclair/typebox';
import { Secret } from './secret-schema.js';

export const CredentialsSection = Type.Object(
  {
    refreshSkewSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 60, description: 'A token is refreshed this long before it expires; a token with less left is never the one a request waits on.' }),
    tokenTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 10000, description: 'Time allowed for one token request (connect, answer, body).' }),
    lockTtlMs: Type.Integer({ minimum: 1000, maximum: 120000, default: 15000, description: 'Lifetime of the cross-node refresh lock in Redis; it must outlast a token request.' }),
    lockWaitMs: Type.Integer({ minimum: 100, maximum: 120000, default: 10000, description: 'How long a node waits for another node\'s refresh before giving up on this request.' }),
    defaultTokenLifetimeSeconds: Type.Integer({ minimum: 10, maximum: 86400, default: 300, description: 'Lifetime assumed for an access token whose response has no expires_in (RFC 6749 §5.1 makes it optional).' }),
    maxAgeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Organisation default: a credential expires this many days after it was created, unless it sets its own maxAgeDays.' }),
    noticeDays: Type.Array(Type.Integer({ minimum: 1, maximum: 365 }), { default: [30, 7, 1], description: 'Days before expiry at which credentials.expiring is logged (once per threshold).' }),
    quarantineAfter: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Consecutive 401/403 answers from the upstream (per node) that quarantine a credential.' }),
    sweepIntervalSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 3600, description: 'How often expiry, notices and disableIfUnusedDays are checked.' }),
    caFiles: Type.Array(Type.String({ filePath: true }), { default: [], description: 'PEM CA files token endpoints must chain to (default: the system CAs).' }),
    tokenEncryptionKey: Type.Optional(Secret('Without a vault: the key the tokens the gateway obtained are sealed with in the store (AES-256-GCM, key derived by HKDF), by reference; at least 32 characters. With a vault the vault seals them, and this key only opens rows sealed before (keep it until `portcullis vault rotate-kek` has re-sealed them).')),
  },
  { additionalProperties: false, default: {}, description: 'Upstream credentials: token refresh, locking, lifecycle defaults (docs/outbound.md).' },
);
