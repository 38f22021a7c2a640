/**
 * Answers errors Node's HTTP parser raises before a request exists (head too large, head too slow,
 * unparseable request) with a problem+json on the raw socket, instead of Node's bare text.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError } from '../core/errors.js';
import { buildProblem, serializeProblem } from '../core/problem.js';
import type { Runtime } from './runtime.js';

export function answerClientError(error: Error & { code?: string }, socket: Duplex, runtime: Runtime, listener: string): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(); // the client is gone: nothing to answer
    return;
  }
  const gatewayError = toClientGatewayError(error.code);
  const requestId = randomUUID();
  const logLine = { type: 'access', event: 'request.rejected_by_parser', requestId, listener, status: gatewayError.status, code: gatewayError.code, parserCode: error.code };
  // A request whose response has started (a whole-request timeout while the upstream answers)
  // can only be cut off; say so in the log.
  if ((socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent) {
    runtime.logger.warn({ ...logLine, status: 0 }, 'request cut off by the parser');
    socket.destroy();
    return;
  }
  const body = serializeProblem(buildProblem(gatewayError, requestId, runtime.config.errors.typeBaseUrl));
  runtime.logger.info(logLine, 'request');
  const head =
    `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status]}\r\n` +
    'content-type: application/problem+json\r\n' +
    `content-length: ${body.length}\r\n` +
    'cache-control: no-store\r\n' +
    'x-content-type-options: nosniff\r\n' +
    `${runtime.requestIdHeader}: ${requestId}\r\n` +
    'connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
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
