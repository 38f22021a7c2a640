/**
 * The admin listener, bound to 127.0.0.1 by default: liveness (`/healthz`: the process answers)
 * and readiness (`/readyz`: config loaded, listeners up, not draining; 200 with a `degraded` list
 * while dependencies are down but the data plane serves). The admin API lives here too, behind
 * authentication, and `/metrics`. The probe listener (probes.ts) answers the two probes alone.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { GatewayError } from '../core/errors.js';
import { writeBareProblem } from '../core/problem.js';
import type { SecretValue } from '../config/secret.js';
import { answerProbe, type ProbeState } from './probes.js';
import { refuseAdminRequest, type AdminAdmissionState } from './admin-admission.js';
import type { ListenerTls } from './listener-tls.js';
import type { ConsoleAssets } from './console-assets.js';

export interface AdminState extends ProbeState {
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** `admin.metricsToken`: when set, /metrics needs it as `Authorization: Bearer` (RFC 6750 §2.1). */
  metricsToken?: () => SecretValue | undefined;
}

/** Equal-length digests compared in constant time: neither the token nor its length leaks by timing. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The admin listener's server: HTTPS when `tls` is given (admin.tls, opened as a client
 * listener's: certificate, client CAs, CRLs), else HTTP. Every request passes the admission
 * (admin-admission.ts: allowlist, client certificate) before probes, /metrics, the console or the
 * admin API.
 */
export function createAdminServer(state: AdminState, api?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>, options: { admission?: AdminAdmissionState; tls?: ListenerTls | undefined; console?: () => ConsoleAssets | undefined } = {}): Server {
  const { admission, tls } = options;
  const handler = async function handleAdminRequest(req: IncomingMessage, res: ServerResponse) {
    const refused = admission && refuseAdminRequest(req, admission);
    if (refused) {
      writeBareProblem(res, refused, randomUUID(), state.typeBaseUrl());
      return;
    }
    const hsts = admission?.tls()?.hsts;
    if (hsts) res.setHeader('strict-transport-security', hsts);
    // The console's files (admin.console.enabled, read per request so a reload turns it on or off).
    if (options.console?.()?.serve(req, res)) return;
    if (api && (await api(req, res))) return;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      writeBareProblem(res, new GatewayError('route.method_not_allowed', { headers: { allow: 'GET, HEAD' } }), randomUUID(), state.typeBaseUrl());
      return;
    }
    if (answerProbe(path!, state, res, true)) return;
    if (path === '/metrics') {
      const token = state.metricsToken?.();
      const header = req.headers.authorization ?? '';
      if (token && !(/^bearer /i.test(header) && sameSecret(header.slice(7).trim(), token.reveal()))) {
        writeBareProblem(res, new GatewayError('admin.unauthorized', { detail: 'Send admin.metricsToken as Authorization: Bearer <token>.', headers: { 'www-authenticate': 'Bearer realm="portcullis-metrics"' } }), randomUUID(), state.typeBaseUrl());
        return;
      }
      const { contentType, body } = await state.metrics();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    writeBareProblem(res, new GatewayError('route.not_found'), randomUUID(), state.typeBaseUrl());
  };
  if (!tls) return createServer(handler);
  const server = createHttpsServer(tls.serverOptions(), handler) as unknown as Server;
  // As on client listeners (listener-server.ts): no client-initiated renegotiation (RFC 9325 §3.5).
  server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation());
  server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => callback(null, (admission?.tls() ?? tls).ocspStaple()));
  tls.applyTicketKeys(server as unknown as TlsServer, true);
  server.on('connection', () => (admission?.tls() ?? tls).applyTicketKeys(server as unknown as TlsServer));
  return server;
}
