/**
 * Answers what Node's HTTP server hands over before a request exists, with a problem+json on the
 * raw socket instead of Node's bare text or a silent close: parser errors (head too large, head
 * too slow, unparseable request) and CONNECT requests.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../core/errors.js';
import { buildProblem, serializeProblem } from '../core/problem.js';
import { proxyStatusOf } from '../core/proxy-status.js';
import type { Runtime } from './runtime.js';
import { normalizeIp } from '../net/client-ip.js';

export function answerClientError(error: Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex, runtime: Runtime, listener: string): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(); // the client is gone: nothing to answer
    return;
  }
  const overflowInRequestLine = error.code === 'HPE_HEADER_OVERFLOW' && requestLineOverflowed(error.rawPacket, error.bytesParsed);
  const gatewayError = overflowInRequestLine ? new GatewayError('request.uri_too_long', { detail: 'The request target is longer than this listener accepts.' }) : toClientGatewayError(error.code);
  const requestId = randomUUID();
  const logLine = { type: 'access' as const, event: 'request.rejected_by_parser' as const, requestId, listener, status: gatewayError.status, code: gatewayError.code, parserCode: error.code };
  const pending = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  const parseError = error.code?.startsWith('HPE_') === true && error.code !== 'HPE_HEADERS_TIMEOUT';
  if (parseError && pending && !pending.headersSent && pending.req.complete) {
    // A faulty head pipelined behind a whole request still being answered: the answer goes
    // first, then the problem (responses keep the order of their requests, RFC 9112 §9.3.2).
    // (An error inside the pending request itself, such as its body cut short, takes the path below.)
    runtime.logger.info(logLine, 'request');
    pending.once('finish', () => (socket.writable ? writeRawProblem(socket, gatewayError, requestId, runtime) : socket.destroy()));
    pending.once('close', () => !pending.writableFinished && socket.destroy());
    return;
  }
  // A request whose response has started (a whole-request timeout while the upstream answers)
  // can only be cut off; say so in the log.
  if (pending?.headersSent) {
    runtime.logger.warn({ ...logLine, event: 'request.cut_off_by_parser', status: 0 }, 'request cut off by the parser');
    socket.destroy();
    return;
  }
  runtime.logger.info(logLine, 'request');
  writeRawProblem(socket, gatewayError, requestId, runtime);
}

/**
 * CONNECT asks for a tunnel (RFC 9110 §9.3.6): a reverse proxy has none to give. Node hands such
 * requests over with their socket instead of as requests; without this they would be dropped in
 * silence. Answered 501 and logged like any request, then the connection is closed.
 */
export function answerConnect(req: IncomingMessage, socket: Duplex, runtime: Runtime, listener: string): void {
  const requestId = randomUUID();
  const gatewayError = new GatewayError('request.not_implemented', { detail: `${req.method ?? 'CONNECT'} is not supported: this gateway is a reverse proxy and opens no tunnels.` });
  runtime.logger.info(
    { type: 'access', event: 'request.method_not_implemented', requestId, listener, route: '(none)', method: req.method, path: (req.url ?? '').slice(0, 512), clientIp: normalizeIp(req.socket.remoteAddress), status: gatewayError.status, code: gatewayError.code },
    'request',
  );
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  writeRawProblem(socket, gatewayError, requestId, runtime);
}

/** A problem+json on the raw socket, then the connection closes: nothing after it is read. */
function writeRawProblem(socket: Duplex, gatewayError: GatewayError, requestId: string, runtime: Runtime): void {
  const body = serializeProblem(buildProblem(gatewayError, requestId, runtime.config.errors.typeBaseUrl));
  const head =
    `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status]}\r\n` +
    'content-type: application/problem+json\r\n' +
    `content-length: ${body.length}\r\n` +
    'cache-control: no-store\r\n' +
    `proxy-status: ${proxyStatusOf(gatewayError)}\r\n` +
    'x-content-type-options: nosniff\r\n' +
    `${runtime.requestIdHeader}: ${requestId}\r\n` +
    'connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** `method SP` then the start of a target: a field line has `name:` instead. */
const REQUEST_LINE_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (?:\/|[A-Za-z][A-Za-z0-9+.-]*:|\*)/;
/** The same, when nothing before it in this read says it begins a line: llhttp takes only upper-case methods. */
const BARE_REQUEST_LINE_START = /^[A-Z]{3,16} (?:\/|[a-z]+:\/\/|\*)/;

/**
 * Whether the head overflowed in its request line (414, RFC 9112 §3) rather than in a field line
 * (431). Node reports one overflow for both; the bytes read when it happened tell them apart: a
 * request line starts with `method SP target`, a field line with `name:`. When the line began in
 * an earlier read (a head sent in small pieces), its start is gone, and the answer is 431.
 * @param packet the bytes of the read in which the parser failed; errorAt the offset of the failure in it.
 */
export function requestLineOverflowed(packet: Buffer | undefined, errorAt: number | undefined): boolean {
  if (!packet || errorAt === undefined) return false;
  const upTo = packet.subarray(0, Math.min(errorAt, packet.length));
  const lineFeed = upTo.lastIndexOf(0x0a);
  if (lineFeed === -1) return BARE_REQUEST_LINE_START.test(upTo.subarray(0, 64).toString('latin1'));
  // After a line feed, a request line follows only an empty line (the end of an earlier request
  // pipelined in the same read); otherwise the line is a field line of the same head.
  const before = upTo.subarray(Math.max(0, lineFeed - 3), lineFeed + 1).toString('latin1');
  if (!before.endsWith('\r\n\r\n') && !before.endsWith('\n\n')) return false;
  return REQUEST_LINE_START.test(upTo.subarray(lineFeed + 1, lineFeed + 65).toString('latin1'));
}

function toClientGatewayError(code: string | undefined): GatewayError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('request.header_too_large', { detail: 'The request line and headers are larger than this listener accepts.' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return new GatewayError('request.timeout', { detail: 'The request was not received in time.' });
    default:
      return new GatewayError('request.malformed', { detail: 'The request could not be parsed as HTTP/1.1.' });
  }
}
