/**
 * The overview's traffic: requests, error ratio and the routes with the most errors in the last
 * 24 h, summed from GET /v1/inventory's per-route figures, and the consumers with the most errors
 * (GET /v1/inventory/failing-consumers): the gateway's route counters, written to the store each
 * minute by every node.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { ProblemBox } from '../ui.js';
import { percent, type InventoryRoute } from './inventory.js';

/** How many failing routes (and consumers) the overview lists. */
const TOP = 5;

interface FailingConsumer {
  consumerId: string;
  last24h: { requests: number; errors: number };
  lastSeen: string;
}

/** One row of a "top failing" table: what failed (linked), and its last 24 h. */
interface FailingRow {
  name: string;
  href: string;
  last24h: { requests: number; errors: number };
}

function FailingTable({ caption, what, rows }: { caption: string; what: string; rows: FailingRow[] }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{what}</th>
          <th scope="col">Errors</th>
          <th scope="col">Requests</th>
          <th scope="col">Error ratio</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            <td data-label={what}>
              <a href={row.href}>{row.name}</a>
            </td>
            <td data-label="Errors">{row.last24h.errors}</td>
            <td data-label="Requests">{row.last24h.requests}</td>
            <td data-label="Error ratio">{percent(row.last24h.errors, row.last24h.requests)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FailingConsumers({ consumers }: { consumers: FailingConsumer[] | null }) {
  if (consumers === null) return <p>Loading…</p>;
  if (consumers.length === 0) return <p class="ok">No consumer's call failed.</p>;
  const rows = consumers.map((item) => ({ name: item.consumerId, href: `#/consumers/${encodeURIComponent(item.consumerId)}`, last24h: item.last24h }));
  return <FailingTable caption="Top failing consumers, last 24 h" what="Consumer" rows={rows} />;
}

export function Traffic({ session }: { session: Session }) {
  const [routes, setRoutes] = useState<InventoryRoute[] | null>(null);
  const [consumers, setConsumers] = useState<FailingConsumer[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const allowed = can(session, 'inventory:read');
  useEffect(() => {
    if (!allowed) return;
    call<{ routes: InventoryRoute[] }>('GET', '/v1/inventory').then((answer) => setRoutes(answer.routes), setError);
    call<{ consumers: FailingConsumer[] }>('GET', `/v1/inventory/failing-consumers?limit=${TOP}`).then((answer) => setConsumers(answer.consumers), setError);
  }, [session.id]);
  if (!allowed) return <p>Your role cannot read the inventory.</p>;
  if (error) return <ProblemBox error={error} />;
  if (!routes) return <p>Loading…</p>;
  const counted = routes.filter((route) => route.traffic !== null);
  if (counted.length === 0 && routes.length > 0) return <p>No traffic figures: the gateway keeps no route counters without a store.</p>;
  const requests = counted.reduce((sum, route) => sum + route.traffic!.last24h.requests, 0);
  const errors = counted.reduce((sum, route) => sum + route.traffic!.last24h.errors, 0);
  const failing = counted.filter((route) => route.traffic!.last24h.errors > 0).sort((a, b) => b.traffic!.last24h.errors - a.traffic!.last24h.errors).slice(0, TOP);
  return (
    <>
      <p class="muted">Last 24 h, from the gateway's route counters (written to the store each minute).</p>
      <dl class="figures">
        <dt>Requests</dt>
        <dd>{requests}</dd>
        <dt>Errors (5xx or no response)</dt>
        <dd>{errors}</dd>
        <dt>Error ratio</dt>
        <dd>{percent(errors, requests)}</dd>
      </dl>
      {failing.length === 0 ? (
        <p class="ok">No route answered with an error.</p>
      ) : (
        <FailingTable caption="Top failing routes, last 24 h" what="Route" rows={failing.map((route) => ({ name: route.name, href: '#/routes', last24h: route.traffic!.last24h }))} />
      )}
      <FailingConsumers consumers={consumers} />
    </>
  );
}
