/**
 * `portcullis demo`: the sample payments API plus the gateway in front of it, configured from
 * examples/demo.yaml, and a short tour of curl commands to try.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Actor } from '../core/actor.js';
import { systemClock, type Clock } from '../core/clock.js';
import { formatIssue, validateConfig } from '../config/loader.js';
import { Gateway } from '../server/gateway.js';
import { startSampleUpstream, type SampleUpstream } from './sample-upstream.js';
import { createDemoOwner, type DemoOwner } from './demo-owner.js';
import { startDemoConsole, type DemoConsole } from './demo-console.js';

export const DEMO_CONFIG_URL = new URL('../../../examples/demo.yaml', import.meta.url);

export interface DemoOptions {
  port: number;
  adminPort: number;
  /** The gateway's clock (default: the system's); tests move it to pass a step-up window. */
  clock?: Clock | undefined;
  /**
   * Seconds for the alerts' evaluation interval, group interval and upstream_down's `for`
   * (default: examples/demo.yaml's 5, 5 and 10); tests shorten them.
   */
  alertIntervalSeconds?: number | undefined;
  /** Where the demo console prints each alert it receives (one line, no newline). */
  print?: ((line: string) => void) | undefined;
  /** A private CA folder (`portcullis ca init`) the demo gateway serves and shows (pki.caDir); tests set it. */
  caDir?: string | undefined;
}

export interface DemoKeys {
  /** accounts:read and payments:write */
  full: string;
  /** accounts:read only: POST /v1/payments answers 403 */
  readOnly: string;
  adminToken: string;
}

export interface RunningDemo {
  gateway: Gateway;
  upstream: SampleUpstream;
  /** The alert receiver and the upstream's stop/start (demo-console.ts). */
  console: DemoConsole;
  keys: DemoKeys;
  /** The admin user the demo created (owner, with TOTP): printed, for the demo only. */
  owner: DemoOwner;
  tour: string;
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const token = randomBytes(24).toString('base64url');
  const adminToken = randomBytes(24).toString('base64url');
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const upstream = await startSampleUpstream({ token });
  let demoConsole: DemoConsole;
  try {
    demoConsole = await startDemoConsole({ secret: webhookSecret, upstream, print: options.print ?? ((line) => process.stdout.write(`${line}\n`)) });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const stopAll = async () => {
    await demoConsole.close();
    await upstream.close();
  };
  const raw = parse(await readFile(DEMO_CONFIG_URL, 'utf8')) as {
    listeners: Array<{ port: number }>;
    admin: { port: number; webauthn: { origins: string[] } };
    oauth: { issuer: string };
    store: { path: string };
    upstreams: { payments: { targets: string[] } };
    alerts: { evaluationIntervalSeconds: number; groupIntervalSeconds: number; sinks: { 'demo-receiver': { url: string } }; rules: { upstream_down: { forSeconds: number } } };
  };
  // Port 0 (tests) becomes a free port now: the passkey origin and the OAuth issuer name the ports.
  const [port, adminPort] = await Promise.all([options.port || freePort(), options.adminPort || freePort()]);
  raw.listeners[0]!.port = port;
  raw.admin.port = adminPort;
  // WebAuthn needs a domain: the console's passkeys work at http://localhost:<admin port>.
  raw.admin.webauthn.origins = [`http://localhost:${adminPort}`];
  raw.oauth.issuer = `http://127.0.0.1:${port}`;
  raw.store.path = join(mkdtempSync(join(tmpdir(), 'portcullis-demo-')), 'demo.db');
  raw.upstreams.payments.targets = [upstream.url];
  raw.alerts.sinks['demo-receiver'].url = `${demoConsole.url}/alerts`;
  if (options.caDir !== undefined) (raw as { pki?: { caDir: string } }).pki = { caDir: options.caDir };
  if (options.alertIntervalSeconds !== undefined) {
    raw.alerts.evaluationIntervalSeconds = options.alertIntervalSeconds;
    raw.alerts.groupIntervalSeconds = options.alertIntervalSeconds;
    raw.alerts.rules.upstream_down.forSeconds = options.alertIntervalSeconds;
  }
  const secrets = {
    PORTCULLIS_DEMO_WEBHOOK_SECRET: webhookSecret,
    PORTCULLIS_DEMO_UPSTREAM_TOKEN: token,
    PORTCULLIS_DEMO_ADMIN_TOKEN: adminToken,
    PORTCULLIS_DEMO_KEY_PEPPER: randomBytes(32).toString('base64url'),
    PORTCULLIS_DEMO_MFA_SEED_KEY: randomBytes(32).toString('base64url'),
    PORTCULLIS_DEMO_VAULT_KEK: randomBytes(32).toString('base64'),
    PORTCULLIS_DEMO_AUDIT_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
  // Paths in the config (the OpenAPI contract) are relative to the config file, as for `start`.
  const loaded = validateConfig(raw, { ...process.env, ...secrets }, { baseDir: dirname(fileURLToPath(DEMO_CONFIG_URL)) });
  if (!loaded.ok) {
    await stopAll();
    throw new Error(`the demo config is invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
  }
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ config: loaded.config, clock: options.clock ?? systemClock });
  } catch (error) {
    await stopAll();
    throw error;
  }
  let keys: DemoKeys;
  let owner: DemoOwner;
  try {
    keys = await issueDemoKeys(gateway, adminToken);
    owner = await createDemoOwner(gateway.adminUrl, adminToken, () => (options.clock ?? systemClock).now());
  } catch (error) {
    await gateway.close(0);
    await stopAll();
    throw error;
  }
  return {
    gateway,
    upstream,
    console: demoConsole,
    keys,
    owner,
    tour: tour(gateway.url(), gateway.adminUrl, upstream.url, demoConsole.url, keys, owner),
    async close() {
      await gateway.close(2000);
      await stopAll();
    },
  };
}

/** A port free on 127.0.0.1 a moment ago (the kernel's pick), for a listener that must know it before it opens. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A demo partner with two keys, issued by the same key service the admin API uses. */
async function issueDemoKeys(gateway: Gateway, adminToken: string): Promise<DemoKeys> {
  const consumers = gateway.services.consumers!;
  const keyService = gateway.services.keyService!;
  // The demo command sets these up itself, as a local CLI command would.
  const actor: Actor = { kind: 'cli', id: 'demo' };
  const partner = await gateway.services.store!.write(actor, 'consumer.create', (tx) => consumers.create(tx, { name: 'demo-partner', metadata: { contact: 'integrations@partner.example' } }));
  const full = await keyService.create(actor, { consumerId: partner.id, name: 'demo: read and pay', scopes: ['accounts:read', 'payments:write'] });
  const readOnly = await keyService.create(actor, { consumerId: partner.id, name: 'demo: read only', scopes: ['accounts:read'] });
  await gateway.services.followed!.follower.catchUp();
  return { full: full.key, readOnly: readOnly.key, adminToken };
}

function tour(url: string, adminUrl: string, upstreamUrl: string, consoleUrl: string, keys: DemoKeys, owner: DemoOwner): string {
  return `
Portcullis demo
  Gateway:  ${url}
  Admin:    ${adminUrl}/healthz
  Console:  ${adminUrl}/console/   (sign in as ${owner.name} with the password and TOTP below)
            passkeys work at ${adminUrl.replace('127.0.0.1', 'localhost')}/console/ (WebAuthn needs a domain name)
  Upstream: ${upstreamUrl} (a fake payments API that demands a token only the gateway holds)

Demo partner keys (shown once, as real keys are):
  KEY=${keys.full}        # accounts:read payments:write
  RO_KEY=${keys.readOnly}     # accounts:read

Try:
  curl -i ${url}/v1/accounts                                        # 401 auth.missing_credentials
  curl -i ${url}/v1/accounts -H "Authorization: Bearer $KEY"
  curl -i ${url}/v1/accounts/acc_1001 -H "X-API-Key: $KEY"
  curl -i -X POST ${url}/v1/payments -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\
       -d '{"fromAccount":"acc_1001","toIban":"DE89370400440532013000","amount":2500}'
  curl -i -X POST ${url}/v1/payments -H "Authorization: Bearer $RO_KEY" -d '{}'   # 403 auth.insufficient_scope
  curl -i -X POST ${url}/v1/payments -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\
       -d '{"fromAccount":"acc_1001","toIban":"DE89","amount":"2500","admin":true}'   # 400 validation.failed, every error with its pointer
  curl -i ${url}/v1/nowhere -H "Authorization: Bearer $KEY"         # 404 problem+json (RFC 9457)
  curl -i -X DELETE ${url}/v1/accounts/acc_1001                     # 405 with Allow
  curl -i ${upstreamUrl}/accounts                                   # direct: 401, only the gateway holds the upstream token
  for i in $(seq 12); do curl -s -o /dev/null -w '%{http_code} ' ${url}/v1/accounts -H "Authorization: Bearer $KEY"; done
                                                                    # bursts of 10 per consumer, then 429 ratelimit.exceeded

Alerts: the gateway sends them to this demo's own receiver (${consoleUrl}/alerts), signed per
Standard Webhooks; the receiver verifies each and prints it below as "ALERT firing ..." / "ALERT resolved ...":
  curl -X POST ${consoleUrl}/upstream/stop                  # the sample upstream goes away (demo only)
  for i in $(seq 4); do curl -s -o /dev/null -w '%{http_code} ' ${url}/v1/accounts -H "Authorization: Bearer $KEY"; done
                                                                    # 502s; within ~15 s: ALERT firing upstream_down critical
  curl -X POST ${consoleUrl}/upstream/start                 # it is back
  curl -s -o /dev/null -w '%{http_code}\n' ${url}/v1/accounts -H "Authorization: Bearer $KEY"
                                                                    # 200; within ~5 s: ALERT resolved upstream_down
  node dist/src/cli/main.js alerts list                             # what is firing now (with the admin token below)

Admin API and CLI (bootstrap token for this demo run):
  export PORTCULLIS_ADMIN_URL=${adminUrl} PORTCULLIS_ADMIN_TOKEN=${keys.adminToken}
  node dist/src/cli/main.js keys list
  node dist/src/cli/main.js keys revoke <id>                        # then retry with that key: 401 auth.key_revoked
  node dist/src/cli/main.js limits set --consumer <id> --name per-second --limit 50   # a partner's own limit, no restart
  node dist/src/cli/main.js audit list                              # this demo's own audit trail: who changed what, from where
  node dist/src/cli/main.js audit export --out ./demo-audit && node dist/src/cli/main.js audit verify ./demo-audit --allow-unanchored
                                                                    # an auditor's offline check of the hash chain and signatures
                                                                    # (checkpoints every 10 s: the newest records, this export's own, wait for the next)

Sign in as the demo's owner, in the console at ${adminUrl}/console/ or with the CLI
(DEMO ONLY: a real owner's password and TOTP secret are never printed):
  name:     ${owner.name}
  password: ${owner.password}
  TOTP:     ${owner.otpauthUri}
            (scan it into an authenticator app, or: oathtool --totp -b ${owner.totpSecret})
  recovery: ${owner.recoveryCodes[0]} (one of 10; each works once)
  unset PORTCULLIS_ADMIN_TOKEN
  node dist/src/cli/main.js login --admin-url ${adminUrl} --name ${owner.name} --code <the current code>   # asks for the password
  node dist/src/cli/main.js whoami
  curl -s -X POST ${adminUrl}/v1/login -H 'content-type: application/json' \\
       -d '{"name":"${owner.name}","password":"${owner.password}","code":"<code>","tokenInBody":true}'

JSON access logs follow below. Stop with Ctrl-C.
`;
}
