/**
 * Liveness (`/healthz`) and readiness (`/readyz`) answers, and the probe listener that serves
 * nothing else. Kubelet probes come from the node, not from loopback, so a pod must answer them on
 * an address the node reaches; the admin listener (admin API, `/metrics`) must not be that address.
 * The probe listener (`probes` in the config, off by default) carries only these two paths: every
 * other path, `/metrics` and the admin API included, is `404 route.not_found`, whatever the method.
 * Its readiness body says only the status and the config revision: which dependency is degraded,
 * and why, stays on the admin listener for operators.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../core/errors.js';
import { writeBareProblem } from '../core/problem.js';
import { listenOn } from './listen.js';

export interface ProbeState {
  /** Started (config loaded, store open, every listener bound) and not draining. */
  ready(): boolean;
  /** Dependencies not answering right now (the data plane serves without them, degraded). */
  degraded(): ReadonlyArray<{ dependency: string; since: string; reason: string }>;
  /** Revision of the config in force: 1 at start, +1 per successful reload. */
  configRevision(): number;
  typeBaseUrl(): string;
}

/**
 * Answers `/healthz` and `/readyz` (GET or HEAD); false for any other path, untouched.
 * `detailed`: the readiness body lists the degraded dependencies (admin listener) or not (probe
 * listener, reachable from the pod network).
 */
export function answerProbe(path: string, state: ProbeState, res: ServerResponse, detailed: boolean): boolean {
  if (path === '/healthz') {
    json(res, 200, { status: 'ok' });
    return true;
  }
  if (path !== '/readyz') return false;
  // Only starting or draining makes a node unready: a store or Redis outage degrades every node
  // alike, and a readiness probe that pulled them all would take the data plane down with its
  // control plane (issue 13). What is degraded is in the admin listener's body for operators.
  const ready = state.ready();
  const degraded = state.degraded();
  const status = !ready ? 'not ready' : degraded.length > 0 ? 'degraded' : 'ready';
  json(res, ready ? 200 : 503, detailed ? { status, configRevision: state.configRevision(), degraded } : { status, configRevision: state.configRevision() });
  return true;
}

/** The probe listener's request handler: `/healthz`, `/readyz`, and 404 (or 405) for all else. */
export function createProbeServer(state: ProbeState): Server {
  const server = createServer(function handleProbeRequest(req, res) {
    const path = (req.url ?? '/').split('?')[0]!;
    const probe = path === '/healthz' || path === '/readyz';
    if (probe && req.method !== 'GET' && req.method !== 'HEAD') {
      writeBareProblem(res, new GatewayError('route.method_not_allowed', { headers: { allow: 'GET, HEAD' } }), randomUUID(), state.typeBaseUrl());
      return;
    }
    if (!probe || !answerProbe(path, state, res, false)) writeBareProblem(res, new GatewayError('route.not_found'), randomUUID(), state.typeBaseUrl());
  });
  // A probe is one short request: no slow client holds a socket here for long.
  server.headersTimeout = 5_000;
  server.requestTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** The probe listener's place in the config (`probes`). */
export interface ProbeListenerConfig {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
}

/**
 * The probe listener's lifecycle inside a gateway: opened after the client listeners, closed
 * last, so `/readyz` answers 503 for the whole drain (the load balancer stops sending first).
 */
export class ProbeListener {
  readonly #server: Server;

  constructor(state: ProbeState) {
    this.#server = createProbeServer(state);
  }

  /** Binds when `config.enabled`; rejects with a StartupError naming the address otherwise unusable. */
  async listen(config: ProbeListenerConfig): Promise<void> {
    if (config.enabled) await listenOn(this.#server, config.host, config.port, 'the probe listener');
  }

  /** `http://host:port` while listening, else undefined. */
  get url(): string | undefined {
    if (!this.#server.listening) return undefined;
    const address = this.#server.address() as AddressInfo;
    const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Stops listening and drops its connections; resolves when closed (at once when not listening). */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
