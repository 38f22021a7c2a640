/** Whether an HTTP request carries a body: a leaf helper the proxy and body-reading policies share. */
import type { IncomingMessage } from 'node:http';

/** RFC 9112 §6.3: a request has a body when it declares a length above zero or a transfer coding. */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The body of a request of declared length whose bytes all came with the head (most small bodies
 * do: they sit in the request's buffer before the parser reports the message complete), taken
 * from that buffer as is, without a stream, timer or listeners; undefined for anything else
 * (chunked, partly arrived, over `maxBytes`, already being read), which must be read through
 * the body guard (its limit, idle timeout and client-gone handling).
 */
export function takeArrivedBody(req: IncomingMessage, maxBytes: number): Buffer | undefined {
  if (req.readableFlowing !== null || req.headers['transfer-encoding'] !== undefined) return undefined;
  const declared = req.headers['content-length'];
  if (declared === undefined || declared === '0') return undefined;
  const length = Number(declared);
  if (req.readableLength !== length || length > maxBytes) return undefined;
  return (req.read(length) as Buffer | null) ?? undefined;
}
