/**
 * `portcullis demo`: the sample payments API plus the gateway in front of it, configured from
 * examples/demo.yaml, and a short tour of curl commands to try.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { formatIssue, validateConfig } from '../config/loader.js';
import { Gateway } from '../server/gateway.js';
import { startSampleUpstream, type SampleUpstream } from './sample-upstream.js';

export const DEMO_CONFIG_URL = new URL('../../../examples/demo.yaml', import.meta.url);

export interface DemoOptions {
  port: number;
  adminPort: number;
}

export interface RunningDemo {
  gateway: Gateway;
  upstream: SampleUpstream;
  tour: string;
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const token = randomBytes(24).toString('base64url');
  const upstream = await startSampleUpstream({ token });
  const raw = parse(await readFile(DEMO_CONFIG_URL, 'utf8')) as {
    listeners: Array<{ port: number }>;
    admin: { port: number };
    upstreams: { payments: { targets: string[] } };
  };
  raw.listeners[0]!.port = options.port;
  raw.admin.port = options.adminPort;
  raw.upstreams.payments.targets = [upstream.url];
  const loaded = validateConfig(raw, { ...process.env, PORTCULLIS_DEMO_UPSTREAM_TOKEN: token });
  if (!loaded.ok) {
    await upstream.close();
    throw new Error(`the demo config is invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
  }
  const gateway = await Gateway.start({ config: loaded.config });
  return {
    gateway,
    upstream,
    tour: tour(gateway.url(), gateway.adminUrl, upstream.url),
    async close() {
      await gateway.close(2000);
      await upstream.close();
    },
  };
}

function tour(url: string, adminUrl: string, upstreamUrl: string): string {
  return `
Portcullis demo
  Gateway:  ${url}
  Admin:    ${adminUrl}/healthz
  Upstream: ${upstreamUrl} (a fake payments API that demands a token only the gateway holds)

Try:
  curl -i ${url}/v1/accounts
  curl -i ${url}/v1/accounts/acc_1001
  curl -i -X POST ${url}/v1/payments -H 'content-type: application/json' \\
       -d '{"fromAccount":"acc_1001","toIban":"DE89370400440532013000","amount":2500}'
  curl -i ${url}/v1/nowhere                         # 404 problem+json (RFC 9457)
  curl -i -X DELETE ${url}/v1/accounts/acc_1001     # 405 with Allow
  head -c 5000 /dev/zero | curl -i -X POST ${url}/v1/payments --data-binary @-   # 413
  curl -i ${upstreamUrl}/accounts                   # direct: 401, the client has no upstream token

JSON access logs follow below. Stop with Ctrl-C.
`;
}
