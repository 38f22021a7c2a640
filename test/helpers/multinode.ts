/**
 * Two gateway processes sharing one PostgreSQL schema, for the promise that a change made on one
 * node reaches every other node within a second (issue 15 §4).
 */
import { startGatewayNodes, type GatewayNodes } from './cli.js';
import { KEY_ENV } from './keys.js';
import { createPostgresSchema, POSTGRES_URL } from './services.js';

export const OAUTH_SECRET_ENV = { PORTCULLIS_OAUTH_KEY_SECRET: 'oauth-signing-key-secret-0123456789abcdef' };

/**
 * Runs `run` with two nodes on one fresh PostgreSQL schema; `extra(ports)` adds to each node's
 * config. `ports` lists [node A port, node A admin port, node B port, node B admin port].
 */
export async function withTwoNodes(extra: (ports: number[]) => Record<string, unknown>, run: (ports: number[]) => Promise<void>, store: Record<string, unknown> = { pollIntervalMs: 250 }): Promise<void> {
  const { schema, drop } = await createPostgresSchema();
  let gateways: GatewayNodes | undefined;
  try {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const portList: number[] = [];
    gateways = await startGatewayNodes(
      2,
      ({ port, adminPort }) => {
        portList.push(port, adminPort);
        return {
          listeners: [{ name: 'public', host: '127.0.0.1', port }],
          admin: { host: '127.0.0.1', port: adminPort, token: '${env:PORTCULLIS_ADMIN_TOKEN}' },
          store: { driver: 'postgres', url: '${env:PORTCULLIS_DATABASE_URL}', ...store },
          apiKeys: { pepper: '${env:PORTCULLIS_KEY_PEPPER}' },
          // The tests poll with credentials the other node may not know yet: that is not an attack.
          bruteForce: { maxFailures: 1000 },
          ...extra(portList),
        };
      },
      { ...KEY_ENV, ...OAUTH_SECRET_ENV, PORTCULLIS_DATABASE_URL: url.toString() },
    );
    const ports = gateways.ports.flatMap((node) => [node.port, node.adminPort]);
    await run(ports);
  } finally {
    gateways?.stop();
    await drop();
  }
}

/** Polls (every 20 ms) until `holds()`; the milliseconds it took, or -1 after `limitMs`. */
export async function msUntil(holds: () => Promise<boolean>, limitMs = 3000): Promise<number> {
  const since = Date.now();
  while (Date.now() - since < limitMs) {
    if (await holds()) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return -1;
}
