/**
 * `npm run bench:tls`: requests/s through one gateway over plain HTTP, HTTPS and mTLS (a verified
 * client certificate mapped to a consumer by auth-mtls, CRL checked), all with keep-alive, in one
 * run (interleaved rounds, medians), with the ratio to plain HTTP. Certificates are generated
 * here (ECDSA P-256). BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { makeCertificates } from './fixtures.js';
import { tempDir } from './processes.js';
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
  const cases = {
    'plain HTTP': { url: `http://127.0.0.1:${http}/accounts/a` },
    HTTPS: { url: `https://127.0.0.1:${https}/accounts/a`, tlsOptions: { ca: certs.caPem } },
    'optional, no cert': { url: `https://127.0.0.1:${mtls}/accounts/a`, tlsOptions: { ca: certs.caPem } },
    'mTLS (no policy)': { url: `https://127.0.0.1:${mtls}/accounts/a`, tlsOptions: { ca: certs.caPem, cert: certs.clientCert, key: certs.clientKey } },
    'mTLS + auth-mtls': { url: `https://127.0.0.1:${mtls}/partner/accounts/a`, tlsOptions: { ca: certs.caPem, cert: certs.clientCert, key: certs.clientKey } },
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
  console.log(`\nGET through one gateway, keep-alive, ${connections} connections, ${rounds} rounds × ${seconds} s, medians (node ${process.version}${pinned() ? ', load generator pinned to core 0' : ''})\n`);
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
