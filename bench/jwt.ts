/**
 * `npm run bench:jwt`: requests/s through one gateway process, in one run: no authentication, an
 * API key, and JWTs signed RS256 and ES256 (auth-jwt with static keys: verification cost only, no
 * network), each with the verified-token cache (a partner re-using its token) and without it
 * (every request a full signature check). Interleaved rounds, medians; ratios against no auth.
 * BENCH_SECONDS (default 3), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50).
 */
import { JWT_AUDIENCE as AUDIENCE, JWT_ISSUER as ISSUER, jwtSigner as signer, PEPPER, storeWithKey } from './fixtures.js';
import { freePort, load, median, pinned, startGatewayProcess, startServer, stopAll } from './harness.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function main(): Promise<void> {
  const [upstreamPort, port, adminPort] = [await freePort(), await freePort(), await freePort()];
  await startServer('upstream', upstreamPort);
  const { path, key } = await storeWithKey();
  const [rs, es] = [await signer('RS256'), await signer('ES256')];
  process.env.BENCH_PEPPER = PEPPER;
  const jwtPolicy = { issuers: [{ issuer: ISSUER, keys: [rs.jwk, es.jwk], algorithms: ['RS256', 'ES256'] }], audiences: [AUDIENCE], typ: 'at+jwt' };
  await startGatewayProcess(
    {
      listeners: [{ name: 'bench', host: '127.0.0.1', port }],
      admin: { host: '127.0.0.1', port: adminPort },
      store: { path },
      apiKeys: { pepper: '${env:BENCH_PEPPER}' },
      lifecycle: { watchConfigFile: false },
      upstreams: { api: { targets: [`http://127.0.0.1:${upstreamPort}`] } },
      routes: [
        { name: 'none', methods: ['GET'], path: '/none', upstream: 'api' },
        { name: 'key', methods: ['GET'], path: '/key', upstream: 'api', policies: { 'auth-apikey': {}, authorize: { scopes: ['accounts:read'] } } },
        { name: 'jwt', methods: ['GET'], path: '/jwt', upstream: 'api', policies: { 'auth-jwt': jwtPolicy, authorize: { scopes: ['accounts:read'] } } },
        { name: 'jwt-uncached', methods: ['GET'], path: '/jwt-uncached', upstream: 'api', policies: { 'auth-jwt': { ...jwtPolicy, cacheSeconds: 0 }, authorize: { scopes: ['accounts:read'] } } },
      ],
    },
    port,
  );
  const cases = [
    { name: 'no authentication', path: '/none', headers: {} as Record<string, string>, rps: [] as number[], p99: [] as number[] },
    { name: 'API key', path: '/key', headers: { authorization: `Bearer ${key}` }, rps: [] as number[], p99: [] as number[] },
    { name: 'JWT RS256', path: '/jwt', headers: { authorization: `Bearer ${rs.token}` }, rps: [] as number[], p99: [] as number[] },
    { name: 'JWT ES256', path: '/jwt', headers: { authorization: `Bearer ${es.token}` }, rps: [] as number[], p99: [] as number[] },
    { name: 'JWT RS256, no cache', path: '/jwt-uncached', headers: { authorization: `Bearer ${rs.token}` }, rps: [] as number[], p99: [] as number[] },
    { name: 'JWT ES256, no cache', path: '/jwt-uncached', headers: { authorization: `Bearer ${es.token}` }, rps: [] as number[], p99: [] as number[] },
  ];
  for (const c of cases) await load(`http://127.0.0.1:${port}${c.path}`, { durationSeconds: 1, connections, headers: c.headers });
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const result = await load(`http://127.0.0.1:${port}${c.path}`, { durationSeconds: seconds, connections, headers: c.headers });
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${c.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      c.rps.push(result.requestsPerSecond);
      c.p99.push(result.p99Ms);
    }
  }
  console.log(`\nGET through one gateway, ${connections} connections, ${rounds} interleaved rounds × ${seconds} s, medians (node ${process.version}${pinned() ? ', load generator pinned to core 0' : ''})\n`);
  console.log('route                   req/s   p99 ms   vs no auth');
  const base = median(cases[0]!.rps);
  for (const c of cases) {
    const rps = median(c.rps);
    console.log(`${c.name.padEnd(21)} ${rps.toFixed(0).padStart(7)}  ${median(c.p99).toFixed(1).padStart(7)}  ${(rps / base).toFixed(3).padStart(10)}×`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
