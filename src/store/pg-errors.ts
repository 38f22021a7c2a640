/**
 * How the gateway reads a PostgreSQL error: whether the database (or the way to it) failed rather
 * than the statement, and a short secret-free description. Apart from pg-pool.ts so that code
 * which only classifies errors (start-up, the change listener) does not load node-postgres.
 */
/**
 * SQLSTATE classes that mean "the database cannot serve right now", not "your query is wrong":
 * 08 connection exception, 53 insufficient resources (53300 too many connections), 57014 query
 * canceled (our statement_timeout: the database did not answer in time), 57P01-57P03 admin
 * shutdown / crash shutdown / cannot connect now (PostgreSQL Appendix A).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57014|57P0[1-3])/;

/** True when the error says the database (or the way to it) failed, not the statement. */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_SQLSTATE.test(code);
  // No SQLSTATE: a socket error (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND), a lost
  // connection, a client-side read or connect timeout. Programming errors have a SQLSTATE.
  return true;
}

/** A short, secret-free reason: the error's code and message, never the client object it carries. */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 200);
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`.slice(0, 300);
}
