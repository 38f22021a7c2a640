/**
 * The PostgreSQL connection pool, made safe to lose its database (issue 13).
 *
 * node-postgres reports a connection that dies (a restart, a failover, `pg_ctl stop -m immediate`,
 * an idle timeout on a proxy) as an `'error'` event on the Client, which the pool forwards as its
 * own `'error'` for idle clients; an `'error'` event nobody listens to ends the process. So every
 * client gets a listener for its whole life, and so does the pool: a lost connection is logged,
 * counted, and the client is thrown away; the next query opens a fresh one.
 *
 * Kysely sees a thin pool over pg's: a client whose query failed at the connection level (lost,
 * timed out, refused) is destroyed on release instead of going back to the pool, so a client stuck
 * behind a hung server (kill -STOP, a partition) does not hand its timeout to every later query.
 * Each query's outcome tells the health callback whether the database answers.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { markStoreFailure } from './store-failure.js';
import { describePgError, isConnectionFailure } from './pg-errors.js';

export interface PgPoolOptions {
  readonly url: string;
  readonly schema?: string | undefined;
  /** Opening a connection (TCP, TLS, authentication) may take this long. */
  readonly connectTimeoutMs: number;
  /** A query may take this long: the server cancels it (statement_timeout), the client stops waiting. */
  readonly queryTimeoutMs: number;
  readonly max?: number;
  /**
   * Told whether the database answers: `true` after a query that worked, `false` with the reason
   * after a connection-level failure. Never told of query errors the database answered with
   * (a constraint violation is an answer).
   */
  readonly onHealth?: (up: boolean, reason?: string) => void;
}

const INT8_OID = 20;

export interface GuardedPool extends PostgresPool {
  /** The pg pool underneath (counts for tests and diagnostics). */
  readonly pg: pg.Pool;
}

export function createGuardedPool(options: PgPoolOptions): GuardedPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    statement_timeout: options.queryTimeoutMs,
    // Finds a half-open connection (a partition, a crashed host) long before the OS default of 2 h.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Idle connections are closed after 30 s, so a pool does not keep dead ones through a restart.
    idleTimeoutMillis: 30_000,
    // Millisecond timestamps are int8; they fit a JS number exactly until the year 287396.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const down = (error: unknown) => options.onHealth?.(false, describePgError(error));
  // An idle client lost its connection: the pool has already dropped it.
  pool.on('error', (error) => down(error));
  // A client in use lost its connection: its query fails too (and says so to its caller); this
  // listener only keeps the event from ending the process. It stays for the client's whole life.
  pool.on('connect', (client) => client.on('error', (error) => down(error)));

  return {
    pg: pool,
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        markStoreFailure(error);
        down(error);
        throw error;
      }
      let broken: unknown;
      let released = false;
      return {
        query: ((text: string, parameters: readonly unknown[]) =>
          client.query(text, parameters as unknown[]).then(
            (result) => {
              options.onHealth?.(true);
              return result;
            },
            (error: unknown) => {
              if (isConnectionFailure(error)) {
                markStoreFailure(error);
                broken = error;
                down(error);
              }
              throw error;
            },
          )) as unknown as PostgresPoolClient['query'],
        release(): void {
          if (released) return;
          released = true;
          // pg-pool destroys a client released with an error instead of pooling it again.
          client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
        },
      };
    },
    end: () => pool.end(),
  };
}
