/** Whether an HTTP request carries a body: a leaf helper the proxy and body-reading policies share. */
import type { IncomingMessage } from 'node:http';

/** RFC 9112 §6.3: a request has a body when it declares a length above zero or a transfer coding. */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
