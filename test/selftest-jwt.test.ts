/**
 * The JWT probes of `portcullis selftest` (ST-JWT-*): against a real gateway whose route takes
 * tokens from an issuer with a static RSA key (every attack refused, the claim probes run with
 * the issuer's private JWK), and against a naive server that accepts any three-part token and
 * follows `jku` (every probe fails, and the fetch from the attacker's key server is reported).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { runCliAsync } from './helpers/cli.js';
import { startGateway, startUpstream } from './helpers/index.js';

const JWT_PROBES = Array.from({ length: 12 }, (_, index) => `ST-JWT-${String(index + 1).padStart(3, '0')}`);

interface JsonReport {
  results: Array<{ probeId: string; status: 'pass' | 'fail' | 'skip'; observed: string; where: string }>;
}

async function setup(): Promise<{ dir: string; configFile: string; jwkFile: string; config: Record<string, any> }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-selftest-jwt-'));
  const jwkFile = join(dir, 'issuer.jwk.json');
  writeFileSync(jwkFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'issuer-1', alg: 'RS256' }));
  const config: Record<string, any> = {
    listeners: [{ name: 'public', host: '127.0.0.1', port: 0 }],
    upstreams: { api: { targets: ['http://127.0.0.1:9'] } },
    // Every attack is a failed authentication: the test keeps the client unblocked to see each answer.
    bruteForce: { maxFailures: 1000 },
    policies: { 'auth-jwt': { issuers: [{ issuer: 'https://idp.selftest.test', keys: [{ ...(await exportJWK(publicKey)), kid: 'issuer-1', alg: 'RS256', use: 'sig' }], algorithms: ['RS256'] }], audiences: ['https://api.selftest.test'] } },
    routes: [{ name: 'get-order', methods: ['GET'], path: '/orders/:id', upstream: 'api' }],
  };
  const configFile = join(dir, 'portcullis.json');
  writeFileSync(configFile, JSON.stringify(config));
  return { dir, configFile, jwkFile, config };
}

test('every JWT attack is refused by the gateway; the claim probes run with a trusted key; the attacker server sees no fetch', async () => {
  const { configFile, jwkFile, config } = await setup();
  const upstream = await startUpstream();
  config.upstreams.api.targets = [upstream.url];
  const gateway = await startGateway(config);
  try {
    const run = await runCliAsync(['selftest', '--target', gateway.url, '--config', configFile, '--only', 'ST-JWT', '--jwt-signing-jwk', jwkFile, '--format', 'json']);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual(report.results.filter((result) => result.status !== 'pass'), []);
    assert.deepEqual([...new Set(report.results.map((result) => result.probeId))].sort(), JWT_PROBES);
    const observed = (id: string) => report.results.filter((result) => result.probeId === id).map((result) => result.observed);
    assert.deepEqual(observed('ST-JWT-009'), ['401 auth.token_expired']);
    assert.deepEqual(observed('ST-JWT-010'), ['401 auth.token_not_yet_valid']);
    assert.deepEqual(observed('ST-JWT-011'), ['401 auth.token_audience_invalid']);
    assert.deepEqual(observed('ST-JWT-008'), ['401 auth.token_too_large']);
    assert.equal(upstream.requests.length, 1, 'only the baseline valid token reached the upstream');
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

test('a naive server that accepts any token and follows jku fails every JWT probe, the fetch reported', async () => {
  const { configFile, jwkFile } = await setup();
  const naive = createServer({ maxHeaderSize: 256 * 1024 }, async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const parts = token?.split('.') ?? [];
    if (parts.length !== 3) {
      res.writeHead(401).end();
      return;
    }
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as { jku?: string };
    if (header.jku !== undefined) await fetch(header.jku).then((response) => response.text());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => naive.listen(0, '127.0.0.1', resolve));
  try {
    const run = await runCliAsync(['selftest', '--target', `http://127.0.0.1:${(naive.address() as AddressInfo).port}`, '--config', configFile, '--only', 'ST-JWT', '--jwt-signing-jwk', jwkFile, '--format', 'json']);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual([...new Set(report.results.filter((result) => result.status === 'fail').map((result) => result.probeId))].sort(), JWT_PROBES);
    assert.match(report.results.find((result) => result.probeId === 'ST-JWT-004')!.observed, /^200; the attacker server was fetched: GET \/jwks\.json$/);
  } finally {
    naive.closeAllConnections();
    await new Promise((resolve) => naive.close(resolve));
  }
});
