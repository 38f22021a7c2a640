/**
 * Cursor pagination for every admin API list: `?limit=` (1..1000, default 100) and `?cursor=` (the
 * `nextCursor` of the page before). The answer is `{ items, nextCursor }`, `nextCursor` null on the
 * last page. Pages come from the store by keyset (`id > after ORDER BY id`, store/repositories.ts),
 * so a deep page costs what the first one does and rows written meanwhile never shift a page.
 *
 * The cursor is opaque to clients (base64url of a versioned form of the last id) so that its form
 * may change without breaking them; a cursor that does not decode is a 400, never an empty page.
 */
import { Type, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { GatewayError } from '../core/errors.js';
import type { PageRequest } from '../store/repositories.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const CURSOR_VERSION = 'v1:';
const CURSOR_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The query of a list route: limit, cursor, and the route's own filters. */
export function listQuery<P extends TProperties>(filters: P) {
  return Type.Object(
    {
      limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: `Items per page (at most ${MAX_PAGE_SIZE}).` }),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The nextCursor of the previous page.' })),
      ...filters,
    },
    { additionalProperties: false },
  );
}

/** The answer of a list route. */
export function listOf<T extends TSchema>(item: T): TObject {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last page.' }),
    },
    { additionalProperties: false },
  );
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(`${CURSOR_VERSION}${lastId}`, 'utf8').toString('base64url');
}

/** The id a cursor continues after; 400 admin.invalid_request for anything this API did not make. */
export function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = text.startsWith(CURSOR_VERSION) ? text.slice(CURSOR_VERSION.length) : '';
  if (!CURSOR_ID.test(id)) throw new GatewayError('admin.invalid_request', { detail: 'The cursor is not one this API gave out: pass the nextCursor of the previous page.' });
  return id;
}

/**
 * Fetches one page: asks the store for one row more than the limit, so whether a next page exists
 * is known without a count. `idOf` names the keyset column of an item (its store id).
 */
export async function paginate<T>(query: { limit: number; cursor?: string | undefined }, fetch: (page: PageRequest) => Promise<T[]>, idOf: (item: T) => string): Promise<{ items: T[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await fetch({ after, limit: query.limit + 1 });
  const items = rows.slice(0, query.limit);
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(idOf(items[items.length - 1]!)) : null };
}
