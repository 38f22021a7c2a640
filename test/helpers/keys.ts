/** A gateway with a store, API keys and the admin API, for authentication tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.js';
import { baseConfig, httpRequest, startGateway, type Reply, type TestGateway } from './index.js';

export const PEPPER = 'test-pepper-0123456789abcdefghijklmnopqrstuvwxyz';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const KEY_ENV = { PORTCULLIS_KEY_PEPPER: PEPPER, PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };

export function keysConfig(upstreamUrl: string, extra: Record<string, unknown> = {}, store?: Record<string, unknown>): Record<string, unknown> {
  return baseConfig([upstreamUrl], {
    admin: { host: '127.0.0.1', port: 0, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
    store: store ?? { path: join(mkdtempSync(join(tmpdir(), 'portcullis-keys-')), 'store.db'), pollIntervalMs: 100 },
    apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}', lastUsedFlushMs: 200 },
    ...extra,
  });
}

export class AdminClient {
  constructor(
    readonly url: string,
    readonly token = ADMIN_TOKEN,
  ) {}

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    return httpRequest(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async consumer(name: string): Promise<string> {
    const reply = await this.call('POST', '/v1/consumers', { name });
    if (reply.status !== 201) throw new Error(`consumer: ${reply.status} ${reply.text}`);
    return reply.json<{ id: string }>().id;
  }

  async key(consumerId: string, scopes: string[], extra: Record<string, unknown> = {}): Promise<{ key: string; id: string }> {
    const reply = await this.call('POST', '/v1/keys', { consumerId, name: 'test key', scopes, ...extra });
    if (reply.status !== 201) throw new Error(`key: ${reply.status} ${reply.text}`);
    const body = reply.json<{ secret: string; apiKey: { id: string } }>();
    return { key: body.secret, id: body.apiKey.id };
  }
}

export async function startKeyGateway(
  upstreamUrl: string,
  extra: Record<string, unknown> = {},
  options: { clock?: Clock; store?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<TestGateway & { admin: AdminClient }> {
  const gw = await startGateway(keysConfig(upstreamUrl, extra, options.store), { env: { ...KEY_ENV, ...options.env }, clock: options.clock });
  return Object.assign(gw, { admin: new AdminClient(gw.gateway.adminUrl) });
}

/** The `oauth` section and its environment: turns the built-in authorization server (and its admin routes) on. */
export const OAUTH_ON = { oauth: { issuer: 'http://127.0.0.1:1', audience: 'https://api.example', signingKeySecret: '${env:OAUTH_SECRET}' } };
export const OAUTH_ENV = { OAUTH_SECRET: 'o'.repeat(40) };

/** A key gateway with OAuth on, so every admin API route exists. */
export function startOAuthKeyGateway(upstreamUrl: string, extra: Record<string, unknown> = {}): ReturnType<typeof startKeyGateway> {
  return startKeyGateway(upstreamUrl, { ...OAUTH_ON, ...extra }, { env: OAUTH_ENV });
}
