/**
 * `npm run bench:tls`: requests/s through one gateway over plain HTTP, HTTPS and mTLS (a verified
 * client certificate mapped to a consumer by auth-mtls, CRL checked), all with keep-alive, in one
 * run (interleaved rounds, medians), with the ratio to plain HTTP. Certificates are generated
 * here (ECDSA P-256). wrk cannot speak TLS with a client certificate, so every TLS case goes
 * through stunnel on the load core (stunnel.ts): compare the TLS cases with each other.
 * BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { makeCertificates } from './fixtures.js';
import { tempDir, waitFor } from './processes.js';
import { startStunnel } from './stunnel.js';
import { freePort, load, median, pinned, startGatewayProcess, startServer, stopAll } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function main(): Promise<void> {
  const certs = await makeCertificates(tempDir('tls'));
  const upstreamPort = await freePort();
  await startServer('upstream', upstreamPort);
  const [http, https, mtls, admin] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, watchFiles: false };
  await startGatewayProcess(
    {
      listeners: [
        { name: 'http', host: '127.0.0.1', port: http },
        { name: 'https', host: '127.0.0.1', port: https, tls },
        { name: 'mtls', host: '127.0.0.1', port: mtls, tls: { ...tls, clientCertificates: { mode: 'optional', caFiles: [certs.ca], crl: { files: [certs.crl] } } } },
      ],
      admin: { host: '127.0.0.1', port: admin },
      upstreams: { api: { targets: [`http://127.0.0.1:${upstreamPort}`] } },
      lifecycle: { watchConfigFile: false },
      routes: [
        { name: 'open', methods: ['GET'], path: '/accounts/:id', upstream: 'api' },
        { name: 'partner', methods: ['GET'], path: '/partner/accounts/:id', upstream: 'api', policies: { 'auth-mtls': { consumerUri: { issuers: ['CN=Bench CA'] } } } },
      ],
    },
    http,
  );
  // wrk speaks plain HTTP: stunnel on the load core originates TLS (with the client certificate for mTLS).
  const tunnel = { https: await freePort(), optional: await freePort(), mtls: await freePort() };
  const client = { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
  startStunnel(tempDir('stunnel'), certs.ca, [
    { name: 'https', acceptPort: tunnel.https, connectPort: https },
    { name: 'optional', acceptPort: tunnel.optional, connectPort: mtls },
    { name: 'mtls', acceptPort: tunnel.mtls, connectPort: mtls, client },
  ]);
  for (const port of Object.values(tunnel)) await waitFor(`stunnel on ${port}`, () => fetch(`http://127.0.0.1:${port}/accounts/a`).then(() => true, () => false));
  const cases = {
    'plain HTTP': { url: `http://127.0.0.1:${http}/accounts/a` },
    HTTPS: { url: `http://127.0.0.1:${tunnel.https}/accounts/a` },
    'optional, no cert': { url: `http://127.0.0.1:${tunnel.optional}/accounts/a` },
    'mTLS (no policy)': { url: `http://127.0.0.1:${tunnel.mtls}/accounts/a` },
    'mTLS + auth-mtls': { url: `http://127.0.0.1:${tunnel.mtls}/partner/accounts/a` },
  };
  const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  const p99 = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
  for (const { url, ...options } of Object.values(cases)) await load(url, { durationSeconds: 1, connections, ...options });
  for (let round = 0; round < rounds; round++) {
    for (const [name, { url, ...options }] of Object.entries(cases)) {
      const result = await load(url, { durationSeconds: seconds, connections, ...options });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      results.get(name)!.push(result.requestsPerSecond);
      p99.get(name)!.push(result.p99Ms);
    }
  }
  const base = median(results.get('plain HTTP')!);
  console.log(`\nGET through one gateway, keep-alive, ${connections} connections, ${rounds} rounds × ${seconds} s, medians (node ${process.version}${pinned() ? ', wrk and stunnel pinned to core 0' : ''}); TLS cases through stunnel, whose cost lands on the load core\n`);
  console.log('case                  req/s   p99 ms   vs plain HTTP');
  for (const [name, runs] of results) {
    console.log(`${name.padEnd(18)} ${median(runs).toFixed(0).padStart(8)}  ${median(p99.get(name)!).toFixed(1).padStart(7)}  ${(median(runs) / base).toFixed(3)}×`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
