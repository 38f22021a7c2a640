/**
 * The overview: alerts firing on this node, what expires in the next 30 days (API keys,
 * certificates the gateway holds and its private CA's CRL), and the
 * last 24 h of traffic (GET /v1/inventory), from the admin API's reads. What the admin API does not expose yet is said so, never made up.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, withQuery, type Page, type Session } from '../api.js';
import { formatTime, ProblemBox } from '../ui.js';
import { kindLabel, type Expiry, type IssuedCertificate } from './certificates.js';
import type { ApiKey } from './consumers.js';
import { Traffic } from './traffic.js';

interface Alert {
  id: string;
  rule: string;
  state: 'firing' | 'pending';
  severity: string;
  summary: string;
  startsAt: string;
  silencedBy: string[];
  runbookUrl?: string;
}

const DAY_MS = 86_400_000;
/** At most this many keys are read for the expiry list (10 pages of 100). */
const KEY_PAGES = 10;

async function keysExpiringWithin(days: number): Promise<ApiKey[]> {
  const limit = Date.now() + days * DAY_MS;
  const found: ApiKey[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < KEY_PAGES; page++) {
    const answer: Page<ApiKey> = await call<Page<ApiKey>>('GET', `/v1/keys?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    found.push(...answer.items.filter((key) => key.status === 'active' && key.expiresAt !== null && Date.parse(key.expiresAt) <= limit));
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return found.sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!));
}

/** Active partner certificates of the private CA that expire within `days` (or have); none without a CA. */
async function issuedExpiringWithin(days: number): Promise<Expiry[]> {
  if (!(await call<{ configured: boolean }>('GET', '/v1/ca')).configured) return [];
  const found: Expiry[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < KEY_PAGES; page++) {
    const answer: Page<IssuedCertificate> = await call<Page<IssuedCertificate>>('GET', withQuery('/v1/certificates', { status: 'active', limit: '100', cursor }));
    for (const item of answer.items) {
      if (item.daysLeft < days) found.push({ kind: 'issued', name: item.consumerId, subject: item.subject, serial: item.serial, notAfter: item.notAfter, daysLeft: item.daysLeft, state: item.daysLeft < 0 ? 'expired' : 'expiring' });
    }
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return found;
}

/** Certificates the gateway holds, its private CA's CRL and the partner certificates it issued that expire within 30 days, or have. */
function ExpiringCertificates({ session }: { session: Session }) {
  const [items, setItems] = useState<Expiry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const allowed = can(session, 'certificates:read');
  useEffect(() => {
    if (!allowed) return;
    const held = call<{ items: Expiry[] }>('GET', '/v1/certificates/expiries').then((answer) => answer.items.filter((item) => item.daysLeft < 30));
    Promise.all([held, issuedExpiringWithin(30)]).then(([gateway, issued]) => setItems([...gateway, ...issued].sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))), setError);
  }, [session.id]);
  if (!allowed) return <p>Your role cannot read certificates.</p>;
  if (error) return <ProblemBox error={error} />;
  if (items === null) return <p>Loading…</p>;
  if (items.length === 0) return <p class="ok">No certificate the gateway holds expires in the next 30 days.</p>;
  return (
    <table>
      <caption>Certificates expiring in the next 30 days</caption>
      <thead>
        <tr>
          <th scope="col">Certificate</th>
          <th scope="col">Belongs to</th>
          <th scope="col">Expires</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr>
            <td data-label="Certificate">
              <a href="#/certificates">{kindLabel(item.kind)}</a> {item.subject}
            </td>
            <td data-label="Belongs to">{item.name}</td>
            <td data-label="Expires">{formatTime(item.notAfter)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Overview({ session }: { session: Session }) {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [expiring, setExpiring] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (can(session, 'alerts:read')) call<Page<Alert>>('GET', '/v1/alerts?state=firing').then((page) => setAlerts(page.items), setError);
    if (can(session, 'keys:read')) keysExpiringWithin(30).then(setExpiring, setError);
  }, [session.id]);
  return (
    <>
      <h1>Overview</h1>
      <ProblemBox error={error} />
      <section aria-labelledby="firing-title">
        <h2 id="firing-title">Firing alerts</h2>
        {!can(session, 'alerts:read') ? (
          <p>Your role cannot read alerts.</p>
        ) : alerts === null ? (
          <p>Loading…</p>
        ) : alerts.length === 0 ? (
          <p class="ok">No alert is firing.</p>
        ) : (
          <ul class="alerts" aria-label="Firing alerts">
            {alerts.map((alert) => (
              <li class={`severity-${alert.severity}`}>
                <strong>{alert.rule}</strong> ({alert.severity}) since {formatTime(alert.startsAt)}: {alert.summary}
                {alert.silencedBy.length > 0 && <span class="muted"> — silenced</span>}
                {alert.runbookUrl && (
                  <>
                    {' '}
                    <a href={alert.runbookUrl}>runbook</a>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="expiring-title">
        <h2 id="expiring-title">Expiring in the next 30 days</h2>
        {!can(session, 'keys:read') ? (
          <p>Your role cannot read API keys.</p>
        ) : expiring === null ? (
          <p>Loading…</p>
        ) : expiring.length === 0 ? (
          <p class="ok">No active API key expires in the next 30 days.</p>
        ) : (
          <table>
            <caption>API keys expiring in the next 30 days</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Consumer</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {expiring.map((key) => (
                <tr>
                  <td>{key.name}</td>
                  <td>
                    <a href={`#/consumers/${key.consumerId}`}>{key.consumerId}</a>
                  </td>
                  <td>{formatTime(key.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ExpiringCertificates session={session} />
      </section>
      <section aria-labelledby="traffic-title">
        <h2 id="traffic-title">Traffic</h2>
        <Traffic session={session} />
      </section>
    </>
  );
}
