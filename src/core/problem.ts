/**
 * Writes RFC 9457 problem details (`application/problem+json`) for gateway errors. It reads status
 * and title only from the error table, and `detail` only from what the error marked safe for
 * clients: a 5xx never echoes an internal message.
 */
import type { ServerResponse } from 'node:http';
import { ERROR_TABLE, type GatewayError } from './errors.js';
import { proxyStatusOf } from './proxy-status.js';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance: string;
  [extension: string]: unknown;
}

const DEFAULT_DETAIL = 'See the code and the documentation for this problem type.';

export function buildProblem(error: GatewayError, requestId: string, typeBaseUrl: string): ProblemDocument {
  const { status, title } = ERROR_TABLE[error.code];
  return {
    ...error.extensions,
    type: `${typeBaseUrl}${error.code}`,
    title,
    status,
    code: error.code,
    // A 5xx carries only the fixed title: whatever went wrong inside stays in the log.
    detail: status >= 500 && error.code === 'internal' ? title : (error.detail ?? DEFAULT_DETAIL),
    instance: requestId,
  };
}

/**
 * Headers of a problem response, before the respond-phase policies add theirs. Proxy-Status
 * (RFC 9209, proxy-status.ts) says the gateway produced it, and why.
 */
export function problemHeaders(error: GatewayError, body: Buffer): Record<string, string | string[]> {
  return {
    ...error.headers,
    'content-type': 'application/problem+json',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'proxy-status': proxyStatusOf(error),
  };
}

export function serializeProblem(problem: ProblemDocument): Buffer {
  return Buffer.from(JSON.stringify(problem));
}

/** For errors raised before a request has a context (parse errors, header timeouts). */
export function writeBareProblem(res: ServerResponse, error: GatewayError, requestId: string, typeBaseUrl: string): void {
  const body = serializeProblem(buildProblem(error, requestId, typeBaseUrl));
  res.writeHead(error.status, { ...problemHeaders(error, body), 'x-request-id': requestId, connection: 'close' });
  res.end(body);
}
