/**
 * Telling a store that cannot serve from a statement that is wrong. Callers answer the first with
 * `503 store.unavailable` (try again; an operator is alerted) and the second with `500 internal`
 * (a bug): a bug must never look like a database outage, nor an outage like a bug.
 *
 * The classification is explicit, never "whatever else went wrong":
 * - PostgreSQL: the guarded pool (pg-pool.ts) marks every error it sees at the connection level
 *   (refused, lost, timed out, SQLSTATE classes 08/53/57) as it happens, with `markStoreFailure`.
 * - SQLite: the result codes that say the file or the lock cannot be had right now (SQLite's
 *   "Result and Error Codes": BUSY, LOCKED, IOERR*, FULL, CANTOPEN, READONLY, NOMEM, CORRUPT, NOTADB).
 * - Kysely after the store was closed (shutting down): the store is not there to answer.
 */

const STORE_FAILURE = Symbol('portcullis.storeFailure');

const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB)/;

/** Kysely's message for a query on a destroyed instance (runtime-driver.js). */
const KYSELY_DESTROYED = 'driver has already been destroyed';

/** Marks an error raised at the store's connection level, so isStoreFailure knows it for one. */
export function markStoreFailure(error: unknown): void {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) Object.defineProperty(error, STORE_FAILURE, { value: true });
}

/** True when the store could not serve (connection, driver, lock, disk); false for anything else. */
export function isStoreFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [STORE_FAILURE]?: boolean })[STORE_FAILURE] === true) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SQLITE_UNAVAILABLE.test(code)) return true;
  return error instanceof Error && error.message === KYSELY_DESTROYED;
}
