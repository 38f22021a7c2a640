/**
 * A consumer's traffic per route (GET /v1/consumers/:id/traffic): requests and errors of the last
 * 24 h and 30 days, from the gateway's route counters (written to the store each minute).
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, ProblemBox } from '../ui.js';
import { percent } from './inventory.js';

interface Counts {
  requests: number;
  errors: number;
}

interface RouteTraffic {
  route: string;
  last24h: Counts;
  last30d: Counts;
  lastSeen: string;
}

export function ConsumerTraffic({ session, id, reload }: { session: Session; id: string; reload: number }) {
  const [routes, setRoutes] = useState<RouteTraffic[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const allowed = can(session, 'inventory:read');
  useEffect(() => {
    if (allowed) call<{ routes: RouteTraffic[] }>('GET', `/v1/consumers/${encodeURIComponent(id)}/traffic`).then((answer) => setRoutes(answer.routes), setError);
  }, [id, reload]);
  if (!allowed) return null;
  return (
    <section aria-labelledby="consumer-traffic-title">
      <h2 id="consumer-traffic-title">Traffic by route</h2>
      <ProblemBox error={error} />
      {routes === null ? (
        !error && <p>Loading…</p>
      ) : routes.length === 0 ? (
        <p>No request from this consumer in the last 30 days.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption>Requests of this consumer, from the gateway's route counters</caption>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Last 24 h</th>
                <th scope="col">Last 30 days</th>
                <th scope="col">Last call</th>
              </tr>
            </thead>
            <tbody>
              {routes.map((item) => (
                <tr>
                  <td data-label="Route">{item.route}</td>
                  <td data-label="Last 24 h">{`${item.last24h.requests} requests, ${item.last24h.errors} errors (${percent(item.last24h.errors, item.last24h.requests)})`}</td>
                  <td data-label="Last 30 days">{`${item.last30d.requests} requests, ${item.last30d.errors} errors`}</td>
                  <td data-label="Last call">{formatTime(item.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
