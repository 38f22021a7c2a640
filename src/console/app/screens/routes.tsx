/**
 * Routes and inventory (GET /v1/inventory, /v1/inventory/shadow, /v1/inventory/deprecated): every
 * route of the running config with its contract, version, lifecycle and traffic; shadow routes;
 * who still calls deprecated routes. The inventory reads answer whole (no cursor): one table each.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, type Session } from '../api.js';
import { formatTime, ProblemBox } from '../ui.js';
import { percent, type InventoryRoute } from './inventory.js';

interface Shadow {
  uncontracted: Array<{ route: string; methods: string[]; path: string }>;
  unrouted: Array<{ contract: string; operation: string; method: string; path: string }>;
  unmatched: Array<{ route: string; method: string; template: string; count: number; firstSeen: string; lastSeen: string }> | null;
}

interface Deprecated {
  routes: Array<{ route: string; state: string; deprecated: string | null; sunset: string | null; successor: string | null; consumers: Array<{ consumer: string; requests: number; lastSeen: string }> | null }>;
}

const TABS = [
  ['routes', 'All routes'],
  ['shadow', 'Shadow routes'],
  ['deprecated', 'Deprecated, by consumer'],
] as const;
type Tab = (typeof TABS)[number][0];

function useRead<T>(path: string): [T | null, unknown] {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<T>('GET', path).then(setValue, setError);
  }, [path]);
  return [value, error];
}

function lifecycle(route: InventoryRoute): string {
  const { state, deprecated, sunset, successor } = route.lifecycle;
  if (state === 'active') return 'active';
  const dates = [deprecated && `deprecated ${formatTime(deprecated)}`, sunset && `sunset ${formatTime(sunset)}`, successor && `successor ${successor}`].filter(Boolean);
  return `${state}${dates.length ? ` (${dates.join(', ')})` : ''}`;
}

function traffic(route: InventoryRoute): string {
  if (!route.traffic) return 'no figures';
  const { requests, errors, consumers } = route.traffic.last24h;
  return `${requests} requests, ${errors} errors (${percent(errors, requests)}), ${consumers} consumers`;
}

function RoutesTable() {
  const [answer, error] = useRead<{ routes: InventoryRoute[] }>('/v1/inventory');
  if (error) return <ProblemBox error={error} />;
  if (!answer) return <p>Loading…</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>Routes of the running config; traffic of the last 24 h, from the gateway's route counters</caption>
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Methods and path</th>
            <th scope="col">Upstream</th>
            <th scope="col">Contract</th>
            <th scope="col">Version</th>
            <th scope="col">Lifecycle</th>
            <th scope="col">Authentication</th>
            <th scope="col">Traffic (24 h)</th>
            <th scope="col">Requests (30 d)</th>
          </tr>
        </thead>
        <tbody>
          {answer.routes.map((route) => (
            <tr>
              <td data-label="Route">{route.name}</td>
              <td data-label="Methods and path">
                {route.methods.join(' ')} {route.host ? `${route.host}` : ''}
                {route.path}
              </td>
              <td data-label="Upstream">{route.upstream}</td>
              <td data-label="Contract">{route.contract ? `${route.contract}${route.wholeContract ? ' (whole)' : ` (${route.operations.join(', ')})`}` : 'none'}</td>
              <td data-label="Version">{route.version ?? '—'}</td>
              <td data-label="Lifecycle">{lifecycle(route)}</td>
              <td data-label="Authentication">{route.public ? 'public' : route.authentication.join(', ') || 'none'}{route.authenticationRequirement === 'optional' ? ' (optional: anonymous requests pass)' : ''}{route.scopes.length ? `; scopes ${route.scopes.join(' ')}` : ''}</td>
              <td data-label="Traffic (24 h)">{traffic(route)}</td>
              <td data-label="Requests (30 d)">{route.traffic ? route.traffic.last30d.requests : '—'}</td>
            </tr>
          ))}
          {answer.routes.length === 0 && (
            <tr>
              <td colSpan={9}>The running config has no route.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function ShadowTables() {
  const [answer, error] = useRead<Shadow>('/v1/inventory/shadow');
  if (error) return <ProblemBox error={error} />;
  if (!answer) return <p>Loading…</p>;
  return (
    <>
      <h2>Routes without a contract</h2>
      {answer.uncontracted.length === 0 ? <p class="ok">Every route has a contract.</p> : (
        <ul>{answer.uncontracted.map((item) => <li>{item.route}: {item.methods.join(' ')} {item.path}</li>)}</ul>
      )}
      <h2>Contract operations no route serves</h2>
      {answer.unrouted.length === 0 ? <p class="ok">Every contract operation is routed.</p> : (
        <ul>{answer.unrouted.map((item) => <li>{item.contract}: {item.operation} ({item.method} {item.path})</li>)}</ul>
      )}
      <h2>Requests no contract operation matched (30 days)</h2>
      {answer.unmatched === null ? <p>Not counted: the gateway has no store.</p> : answer.unmatched.length === 0 ? <p class="ok">None.</p> : (
        <div class="table-wrap">
          <table>
            <caption>Unmatched requests by route, method and path template</caption>
            <thead><tr><th scope="col">Route</th><th scope="col">Request</th><th scope="col">Count</th><th scope="col">Last seen</th></tr></thead>
            <tbody>
              {answer.unmatched.map((item) => (
                <tr><td data-label="Route">{item.route}</td><td data-label="Request">{item.method} {item.template}</td><td data-label="Count">{item.count}</td><td data-label="Last seen">{formatTime(item.lastSeen)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function DeprecatedTables() {
  const [answer, error] = useRead<Deprecated>('/v1/inventory/deprecated');
  if (error) return <ProblemBox error={error} />;
  if (!answer) return <p>Loading…</p>;
  if (answer.routes.length === 0) return <p class="ok">No route is announced, deprecated or sunset.</p>;
  return (
    <>
      {answer.routes.map((route) => (
        <section aria-label={`Deprecated route ${route.route}`}>
          <h2>{route.route}: {route.state}</h2>
          <p>{[route.deprecated && `Deprecated ${formatTime(route.deprecated)}`, route.sunset && `sunset ${formatTime(route.sunset)}`, route.successor && `successor ${route.successor}`].filter(Boolean).join(', ')}</p>
          {route.consumers === null ? <p>Not counted: the gateway has no store.</p> : route.consumers.length === 0 ? <p class="ok">Nobody called it in the last 30 days.</p> : (
            <ul>{route.consumers.map((item) => <li>{item.consumer === '-' ? 'requests without an identified consumer' : item.consumer}: {item.requests} requests, last {formatTime(item.lastSeen)}</li>)}</ul>
          )}
        </section>
      ))}
    </>
  );
}

export function Routes(_props: { session: Session }) {
  const [tab, setTab] = useState<Tab>('routes');
  return (
    <>
      <h1>Routes and inventory</h1>
      <nav class="actions" aria-label="Inventory views">
        {TABS.map(([name, label]) => (
          <button type="button" aria-pressed={tab === name} class={tab === name ? 'primary' : undefined} onClick={() => setTab(name)}>
            {label}
          </button>
        ))}
      </nav>
      {tab === 'routes' && <RoutesTable />}
      {tab === 'shadow' && <ShadowTables />}
      {tab === 'deprecated' && <DeprecatedTables />}
    </>
  );
}
