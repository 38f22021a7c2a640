/**
 * The demo's console: one small HTTP server on loopback, for the demo only (no gateway, admin API
 * or production path uses it). It is the endpoint of the demo's `webhook` alert sink and lets the
 * tour stop and restart the sample upstream, so an `upstream_down` alert can be seen firing and
 * resolving:
 *
 *   POST /alerts          the signed notifications of the alert sink (alert-receiver.ts)
 *   POST /upstream/stop   the sample upstream stops listening (204)
 *   POST /upstream/start  it listens again on the same port (204)
 *
 * Anything else is 404; another method on these paths 405. The upstream switches answer only the
 * tour's own commands (curl): a request a browser sends for a web page (it carries `Origin` or
 * `Sec-Fetch-Site`) or one addressed to another host name (DNS rebinding) is refused with 403, so a
 * page the demo user opens cannot stop the sample upstream.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn } from '../server/listen.js';
import { alertReceiver } from './alert-receiver.js';
import type { SampleUpstream } from './sample-upstream.js';

export interface DemoConsole {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

/** A command-line request to this loopback server: no browser fetch metadata, and our own Host. */
function fromTheTour(req: IncomingMessage, port: number): boolean {
  if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined) return false;
  return req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
}

export async function startDemoConsole(options: { secret: string; upstream: SampleUpstream; print: (line: string) => void }): Promise<DemoConsole> {
  const receive = alertReceiver(options.secret, options.print);
  const upstreamActions: Record<string, () => Promise<void>> = {
    '/upstream/stop': async () => {
      await options.upstream.stop();
      options.print(`sample upstream stopped (${options.upstream.url} refuses connections)`);
    },
    '/upstream/start': async () => {
      await options.upstream.start();
      options.print(`sample upstream started again (${options.upstream.url})`);
    },
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const upstreamAction = upstreamActions[path];
    if (path !== '/alerts' && !upstreamAction) return void res.writeHead(404, { 'content-length': 0 }).end();
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST', 'content-length': 0 }).end();
    if (path !== '/alerts' && !fromTheTour(req, port)) return void res.writeHead(403, { 'content-length': 0 }).end();
    const done = upstreamAction ? upstreamAction().then(() => void res.writeHead(204).end()) : receive(req, res);
    done.catch((error: unknown) => {
      options.print(`demo console: ${path} failed: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-length': 0 });
      res.end();
    });
  });
  let port = 0;
  await listenOn(server, '127.0.0.1', 0, 'the demo console');
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
