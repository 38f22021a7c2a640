/**
 * The throwaway caller of a selftest run: with `--admin-url` and an admin token (environment
 * PORTCULLIS_ADMIN_TOKEN), a consumer `selftest-<random>` with an API key holding every scope the
 * routes ask for, and on demand a second key that is revoked (ST-KEY-004). `close()` revokes every
 * key made and disables the consumer (consumers are never deleted: the audit trail names them).
 */
import { randomBytes } from 'node:crypto';
import { adminCall, type AdminAccess } from './admin-client.js';
import type { ProbeCredentials } from './probe.js';

export type { AdminAccess };

export interface ThrowawayCaller extends ProbeCredentials {
  close(): Promise<void>;
}

export async function throwawayCaller(admin: AdminAccess | undefined, scopes: readonly string[]): Promise<ThrowawayCaller> {
  if (admin === undefined) return { missing: 'needs an admin credential: --admin-url and PORTCULLIS_ADMIN_TOKEN', close: async () => undefined };
  const call = <T>(method: string, path: string, body?: unknown) => adminCall<T>(admin, method, path, body);
  const consumer = await call<{ id: string }>('POST', '/v1/consumers', { name: `selftest-${randomBytes(4).toString('hex')}`, metadata: { purpose: 'portcullis selftest (disabled when the run ends)' } });
  const keys: string[] = [];
  const issue = async (name: string) => {
    const created = await call<{ secret: string; apiKey: { id: string } }>('POST', '/v1/keys', { consumerId: consumer.id, name, scopes: [...new Set(scopes)], expiresInDays: 1 });
    keys.push(created.apiKey.id);
    return created;
  };
  const main = await issue('selftest');
  return {
    apiKey: main.secret,
    async revokedKey() {
      const second = await issue('selftest-revoked');
      await call('POST', `/v1/keys/${second.apiKey.id}/revoke`, {});
      return second.secret;
    },
    async close() {
      for (const id of keys) await call('POST', `/v1/keys/${id}/revoke`, {}).catch(() => undefined);
      await call('POST', `/v1/consumers/${consumer.id}/disable`, {});
    },
  };
}
