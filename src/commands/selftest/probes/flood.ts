/**
 * A slow-header connection flood (slowloris): many connections each send a request head one
 * header line at a time, never finishing it. A gateway that gives every connection a worker, or
 * waits on heads without a deadline, stops answering; a sound one keeps answering a normal
 * request promptly while the flood runs, and closes the slow connections after its head timeout
 * (`listeners[].headersTimeoutMs`, answered 408). The connections are bounded in count and in
 * time, and all closed when the probe ends.
 */
import type { Socket } from 'node:net';
import { OWASP } from '../../preflight/check.js';
import { describeAnswer } from '../client.js';
import { defineProbes, skip, verdict } from '../probe.js';
import { routeHeaders, routeWhere } from '../routes.js';

/** Connections the flood opens. */
export const FLOOD_CONNECTIONS = 200;
/** How long the normal request may take while the flood runs, in milliseconds. */
export const FLOOD_ANSWER_BOUND_MS = 2000;
/** Pause between two header lines of one slow connection, in milliseconds. */
const DRIBBLE_MS = 250;

export const floodProbes = defineProbes(
  'flood',
  {
    slowHeaders: {
      id: 'ST-FLOOD-001',
      severity: 'high',
      title: `${FLOOD_CONNECTIONS} connections dribbling request headers, then a normal request`,
      expected: `the normal request answered within ${FLOOD_ANSWER_BOUND_MS} ms while the flood runs`,
      why: OWASP.API4,
    },
  },
  async ({ routes, client }, rules) => {
    const route = routes[0];
    if (route === undefined) return [skip(rules.slowHeaders, 'no route (give --config or --admin-url)')];
    const sockets: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      // Take the whole flood's budget first: a run without room for it skips nothing silently.
      client.take(FLOOD_CONNECTIONS);
      let opened = 0;
      await new Promise<void>((resolve) => {
        for (let index = 0; index < FLOOD_CONNECTIONS; index++) {
          const socket = client.connect(false);
          sockets.push(socket);
          socket.on('error', () => undefined);
          socket.once(client.target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
            socket.write(`GET ${route.path} HTTP/1.1\r\nHost: ${route.host ?? client.target.host}\r\n`);
            let line = 0;
            const timer = setInterval(() => !socket.destroyed && socket.write(`X-Selftest-${line++}: ${'a'.repeat(16)}\r\n`), DRIBBLE_MS);
            timers.push(timer);
            if (++opened === FLOOD_CONNECTIONS) resolve();
          });
          socket.once('close', () => {
            if (++opened === FLOOD_CONNECTIONS) resolve();
          });
        }
      });
      const started = Date.now();
      const answer = await client.send(route.method, route.path, { headers: routeHeaders(route), timeoutMs: FLOOD_ANSWER_BOUND_MS });
      const elapsed = Date.now() - started;
      const alive = sockets.filter((socket) => !socket.destroyed).length;
      return [verdict(rules.slowHeaders, elapsed <= FLOOD_ANSWER_BOUND_MS, `${describeAnswer(answer)} in ${elapsed} ms, ${alive} of ${FLOOD_CONNECTIONS} slow connections open`, routeWhere(route))];
    } catch (error) {
      return [verdict(rules.slowHeaders, false, `the normal request failed while the flood ran: ${(error as Error).message}`, routeWhere(route))];
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
    }
  },
);
