/**
 * `npm run bench:validate`: what OpenAPI validation costs, in one run.
 * 1. Load and compile time of large real documents (GitHub's REST API, 700 operations, OpenAPI 3.0;
 *    Figma's, 3.1), request validators only and with response validators, and a config that
 *    generates 700 routes from GitHub's document (contractRoutes).
 * 2. Requests/s for a ~2 KB JSON POST through the gateway with validation off, on, and on with
 *    sanitize (interleaved rounds, medians, ratios to "off").
 * BENCH_SECONDS (3), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/config/loader.js';
import { compileContract } from '../src/openapi/contract.js';
import { readOpenApiFile } from '../src/openapi/openapi-document.js';
import { freePort, load, median, startGatewayProcess, startServer, stopAll } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const require = createRequire(import.meta.url);

const CONTRACT = `
openapi: 3.0.3
info: { title: Bench payments, version: '1' }
paths:
  /accounts/{accountId}/payments:
    post:
      operationId: createPayment
      parameters:
        - { name: accountId, in: path, required: true, schema: { type: string, pattern: '^acc_[0-9]{4}$' } }
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Payment' }
      responses: { '200': { description: ok } }
components:
  schemas:
    Party:
      type: object
      required: [name, iban]
      properties:
        name: { type: string, maxLength: 140 }
        iban: { type: string, pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' }
        address: { type: string, maxLength: 200, nullable: true }
    Line:
      type: object
      required: [sku, quantity, unitPrice]
      properties:
        sku: { type: string, maxLength: 32 }
        description: { type: string, maxLength: 200 }
        quantity: { type: integer, minimum: 1 }
        unitPrice: { type: integer, minimum: 0 }
    Payment:
      type: object
      required: [amount, currency, debtor, creditor, lines]
      properties:
        amount: { type: integer, minimum: 1 }
        currency: { type: string, enum: [EUR, GBP, USD] }
        reference: { type: string, maxLength: 140 }
        executionDate: { type: string, format: date }
        debtor: { $ref: '#/components/schemas/Party' }
        creditor: { $ref: '#/components/schemas/Party' }
        lines: { type: array, maxItems: 100, items: { $ref: '#/components/schemas/Line' } }
        metadata: { type: object }
`;

/** A ~2 KB payment. */
function body(): string {
  const lines = Array.from({ length: 12 }, (_, i) => ({ sku: `SKU-${1000 + i}`, description: `Consulting services, milestone ${i + 1} of the integration project`, quantity: 1 + (i % 3), unitPrice: 12500 + i }));
  return JSON.stringify({
    amount: lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0),
    currency: 'EUR',
    reference: 'Invoice 2026-0042 for the payroll integration',
    executionDate: '2026-11-30',
    debtor: { name: 'Ada Lovelace Ltd', iban: 'GB33BUKB20201555555555', address: '1 Analytical Street, London' },
    creditor: { name: 'Grace Hopper GmbH', iban: 'DE89370400440532013000', address: null },
    lines,
    metadata: { source: 'bench' },
  });
}

function timed<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

function compileTimes(): void {
  console.log(`\nLoad and compile (node ${process.version}, one process, under whatever else runs on this machine)\n`);
  console.log('document                          ops   parse ms  compile ms  with responses ms');
  for (const [label, path] of [
    ['GitHub REST (OpenAPI 3.0)', require.resolve('@octokit/openapi/generated/api.github.com.json')],
    ['GitHub Enterprise 2.22 (3.0)', require.resolve('@octokit/openapi/generated/ghes-2.22.json')],
    ['Figma REST (OpenAPI 3.1)', require.resolve('@figma/rest-api-spec/openapi/openapi.yaml')],
  ] as const) {
    const parsed = timed(() => readOpenApiFile(path));
    const requests = timed(() => compileContract(parsed.value, { strictBodies: true, responses: false }));
    const responses = timed(() => compileContract(parsed.value, { strictBodies: true, responses: true }));
    console.log(`${label.padEnd(32)} ${String(parsed.value.operations.length).padStart(4)}  ${parsed.ms.toFixed(0).padStart(8)}  ${requests.ms.toFixed(0).padStart(10)}  ${responses.ms.toFixed(0).padStart(17)}`);
  }
  const github = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const routes = timed(() =>
    validateConfig({ listeners: [{ name: 'x', port: 0 }], upstreams: { gh: { targets: ['http://127.0.0.1:1'] } }, contractRoutes: [{ contract: github, upstream: 'gh', namePrefix: 'gh-' }] }, {}),
  );
  const count = routes.value.ok ? routes.value.config.routes.length : 0;
  console.log(`\ncontractRoutes from GitHub's document: ${count} routes, config loaded and checked in ${routes.ms.toFixed(0)} ms (includes one compile)`);
}

function gatewayConfig(port: number, adminPort: number, upstream: string, policies: Record<string, unknown>): Record<string, unknown> {
  return {
    listeners: [{ name: 'bench', host: '127.0.0.1', port }],
    admin: { host: '127.0.0.1', port: adminPort },
    upstreams: { api: { targets: [upstream] } },
    lifecycle: { watchConfigFile: false },
    routes: [{ name: 'pay', methods: ['POST', 'GET'], path: '/accounts/:id/payments', upstream: 'api', policies }],
  };
}

async function throughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-validate-'));
  const contract = join(dir, 'bench.openapi.yaml');
  writeFileSync(contract, CONTRACT);
  const upstreamPort = await freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  await startServer('upstream', upstreamPort);
  const validate = { contract, operationId: 'createPayment' };
  const cases: Record<string, Record<string, unknown>> = {
    'validation off': {},
    'validation on': { validate },
    'validation + sanitize': { validate, sanitize: { body: {} } },
  };
  const ports: Record<string, number> = {};
  for (const [name, policies] of Object.entries(cases)) {
    const port = await freePort();
    await startGatewayProcess(gatewayConfig(port, await freePort(), upstream, policies), port);
    ports[name] = port;
  }
  const payload = body();
  const request = { method: 'POST', body: payload, headers: { 'content-type': 'application/json' }, connections };
  for (const port of Object.values(ports)) await load(`http://127.0.0.1:${port}/accounts/acc_1001/payments`, { ...request, durationSeconds: 1 });
  const rps = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  const p99 = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, port] of Object.entries(ports)) {
      const result = await load(`http://127.0.0.1:${port}/accounts/acc_1001/payments`, { ...request, durationSeconds: seconds });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      rps.get(name)!.push(result.requestsPerSecond);
      p99.get(name)!.push(result.p99Ms);
    }
  }
  const base = median(rps.get('validation off')!);
  console.log(`\nPOST of a ${Buffer.byteLength(payload)}-byte JSON payment through the gateway, ${connections} connections, ${rounds} rounds × ${seconds} s, medians\n`);
  console.log('case                       req/s   p99 ms   vs off');
  for (const [name, runs] of rps) {
    console.log(`${name.padEnd(24)} ${median(runs).toFixed(0).padStart(7)}  ${median(p99.get(name)!).toFixed(1).padStart(7)}  ${(median(runs) / base).toFixed(3)}×`);
  }
}

async function main(): Promise<void> {
  compileTimes();
  await throughput();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
