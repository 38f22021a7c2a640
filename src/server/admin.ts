/**
 * The admin listener, bound to 127.0.0.1 by default: liveness (`/healthz`: the process answers)
 * and readiness (`/readyz`: config loaded, listeners up, not draining; 200 with a `degraded` list
 * while dependencies are down but the data plane serves). The admin API lives here too, behind
 * authentication.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { writeBareProblem } from '../core/problem.js';

export interface AdminState {
  /** Started and not draining: the data plane can serve. */
  ready(): boolean;
  /** Dependencies not answering right now (the data plane serves without them, degraded). */
  degraded(): ReadonlyArray<{ dependency: string; since: string; reason: string }>;
  typeBaseUrl(): string;
  /** Revision of the config in force: 1 at start, +1 per successful reload. */
  configRevision(): number;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

export function createAdminServer(state: AdminState, api?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): Server {
  return createServer(async function handleAdminRequest(req, res) {
    if (api && (await api(req, res))) return;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      writeBareProblem(res, new GatewayError('route.method_not_allowed', { headers: { allow: 'GET, HEAD' } }), randomUUID(), state.typeBaseUrl());
      return;
    }
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      const { contentType, body } = await state.metrics();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (path === '/readyz') {
      // Only starting or draining makes a node unready: a store or Redis outage degrades every
      // node alike, and a readiness probe that pulled them all would take the data plane down
      // with its control plane (issue 13). What is degraded is in the body for operators.
      const ready = state.ready();
      const degraded = state.degraded();
      return json(res, ready ? 200 : 503, { status: !ready ? 'not ready' : degraded.length > 0 ? 'degraded' : 'ready', configRevision: state.configRevision(), degraded });
    }
    writeBareProblem(res, new GatewayError('route.not_found'), randomUUID(), state.typeBaseUrl());
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
