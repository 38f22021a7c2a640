/**
 * Real PostgreSQL (and later Redis) for tests. Under CI=true a missing service fails the run
 * loudly; elsewhere the tests that need it are skipped with a message saying why.
 */
import { randomBytes } from 'node:crypto';
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
