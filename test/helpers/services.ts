/**
 * Real PostgreSQL and Redis for tests. Under CI=true a missing service fails the run
 * loudly; elsewhere the tests that need it are skipped with a message saying why.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env.PORTCULLIS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresProblem = await probePostgres();
if (postgresProblem && process.env.CI === 'true') {
  throw new Error(`${postgresProblem}: CI must run the PostgreSQL tests, not skip them`);
}
if (postgresProblem) console.log(`# skipping PostgreSQL tests: ${postgresProblem}`);

/** `false` when PostgreSQL is there; otherwise the reason, for node:test's `skip` option. */
export const skipWithoutPostgres: false | string = postgresProblem ?? false;

/** A fresh schema per test run, so runs (and parallel files) never see each other's rows. */
export async function createPostgresSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `portcullis_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    schema,
    async drop() {
      const dropper = new pg.Client({ connectionString: POSTGRES_URL });
      await dropper.connect();
      await dropper.query(`drop schema if exists ${schema} cascade`);
      await dropper.end();
    },
  };
}

export const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probeRedis(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`;
  } finally {
    client.disconnect();
  }
}

const redisProblem = await probeRedis();
if (redisProblem && process.env.CI === 'true') {
  throw new Error(`${redisProblem}: CI must run the Redis tests, not skip them`);
}
if (redisProblem) console.log(`# skipping Redis tests: ${redisProblem}`);

/** `false` when Redis is there; otherwise the reason, for node:test's `skip` option. */
export const skipWithoutRedis: false | string = redisProblem ?? false;

/** A key prefix no other test run uses, so parallel files never share counters. */
export function redisTestPrefix(): string {
  return `portcullis-test:${randomBytes(6).toString('hex')}:`;
}

const redisServerProblem = spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed' : undefined;
if (redisServerProblem && process.env.CI === 'true') {
  throw new Error(`${redisServerProblem}: CI must run the Redis outage tests, not skip them`);
}
if (redisServerProblem) console.log(`# skipping Redis outage tests: ${redisServerProblem}`);

/** `false` when a private redis-server can be started (for tests that stop Redis mid-test). */
export const skipWithoutRedisServer: false | string = redisServerProblem ?? false;

/**
 * A Redis of the test's own on a free loopback port, which the test may stop and start again
 * without disturbing other tests (the shared Redis on 6379 must stay up).
 */
export class PrivateRedis {
  #process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const redis = new PrivateRedis(port);
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port, and waits until it answers. */
  async resume(): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on('error', () => {});
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch (error) {
        client.disconnect();
        if (Date.now() > deadline) throw new Error(`private redis-server on ${this.port} did not start: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Freezes the server (kill -STOP): connections stay open and accepted, nothing is answered. */
  pause(): void {
    if (this.#process?.pid !== undefined) process.kill(this.#process.pid, 'SIGSTOP');
  }

  /** Thaws what pause() froze. */
  unpause(): void {
    if (this.#process?.pid !== undefined) process.kill(this.#process.pid, 'SIGCONT');
  }

  /** Kills the server (as a crash would), and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * A gateway's store section on a fresh PostgreSQL schema: `store` names `${env:<envName>}`, whose
 * value (the URL with the schema as search_path) is `url`; `location` opens it from the test.
 */
export async function postgresGatewayStore(envName = 'DATABASE_URL', pollIntervalMs = 1000): Promise<{ store: Record<string, unknown>; url: string; location: { driver: 'postgres'; url: string; schema: string }; drop(): Promise<void> }> {
  const { schema, drop } = await createPostgresSchema();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { store: { driver: 'postgres', url: `\${env:${envName}}`, pollIntervalMs }, url: url.toString(), location: { driver: 'postgres', url: POSTGRES_URL, schema }, drop };
}
