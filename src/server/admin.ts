/**
 * The admin listener, bound to 127.0.0.1 by default: liveness (`/healthz`: the process answers)
 * and readiness (`/readyz`: config loaded, listeners up, not draining; 200 with a `degraded` list
 * while dependencies are down but the data plane serves). The admin API lives here too, behind
 * authentication, and `/metrics`. The probe listener (probes.ts) answers the two probes alone.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { writeBareProblem } from '../core/problem.js';
import { answerProbe, type ProbeState } from './probes.js';

export interface AdminState extends ProbeState {
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
    if (answerProbe(path!, state, res, true)) return;
    if (path === '/metrics') {
      const { contentType, body } = await state.metrics();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    writeBareProblem(res, new GatewayError('route.not_found'), randomUUID(), state.typeBaseUrl());
  });
}
