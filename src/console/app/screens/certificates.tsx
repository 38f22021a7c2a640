/**
 * Certificates and the private CA (GET /v1/ca, /v1/certificates, /v1/certificates/expiries): the CA
 * and its CRL's state, the certificates it issued (paginated), and when every certificate the
 * gateway holds expires. Issuing from a CSR and revoking are offered only when the gateway holds the
 * CA key (pki.issuing) and the session may; otherwise the screen says where that is done (the CLI
 * on the CA host), as the API does.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { CopyButton, formatTime, PagedTable, ProblemBox, useChanges } from '../ui.js';

export interface CaState {
  configured: boolean;
  certificate: { subject: string; serial: string; notAfter: string; fingerprintSha256: string; ledger: 'store' | 'file'; daysLeft: number } | null;
  crl: { crlNumber: number | null; thisUpdate: string; nextUpdate: string | null; revokedCount: number; stale: boolean } | null;
  issuing: { enabled: boolean; detail: string };
}

export interface IssuedCertificate {
  serial: string;
  consumerId: string;
  subject: string;
  notAfter: string;
  status: 'active' | 'revoked';
  revokedAt: string | null;
  daysLeft: number;
}

export interface Expiry {
  kind: string;
  name: string;
  subject: string;
  serial: string;
  notAfter: string;
  daysLeft: number;
  state: 'ok' | 'expiring' | 'expired';
}

const KINDS: Record<string, string> = {
  listener: 'listener certificate',
  client_ca: 'client CA (trusted by a listener)',
  upstream_client: 'upstream client certificate',
  upstream_server: 'upstream server certificate',
  ca: 'private CA',
  crl: "private CA's CRL (next update)",
  issued: 'partner certificate (private CA)',
};

export const kindLabel = (kind: string) => KINDS[kind] ?? kind;

function CaSummary({ ca }: { ca: CaState }) {
  if (!ca.configured || !ca.certificate) return <p>No private CA is configured on this gateway (pki.caDir): it issues no partner certificates.</p>;
  const { certificate, crl } = ca;
  return (
    <dl class="figures">
      <dt>Subject</dt>
      <dd>{certificate.subject}</dd>
      <dt>Valid until</dt>
      <dd>
        {formatTime(certificate.notAfter)} ({certificate.daysLeft} days left)
      </dd>
      <dt>Records kept in</dt>
      <dd>{certificate.ledger === 'store' ? "the gateway's store" : "the CA folder's issued.json"}</dd>
      <dt>CRL</dt>
      <dd>
        {crl === null ? (
          <span class="status-expired">none yet: run portcullis ca crl</span>
        ) : (
          <>
            number {crl.crlNumber ?? '—'}, {crl.revokedCount} revoked, signed {formatTime(crl.thisUpdate)}, next update {formatTime(crl.nextUpdate)}{' '}
            {crl.stale ? <strong class="status-expired">— stale: run portcullis ca crl</strong> : <span class="ok">— current</span>}
          </>
        )}
      </dd>
    </dl>
  );
}

function IssueForm({ onIssue }: { onIssue: (consumerId: string, csr: string, days: number) => void }) {
  const [consumerId, setConsumerId] = useState('');
  const [csr, setCsr] = useState('');
  const [days, setDays] = useState('365');
  return (
    <form
      class="issue"
      onSubmit={(event) => {
        event.preventDefault();
        onIssue(consumerId.trim(), csr.trim(), Number(days));
      }}
    >
      <h2>Issue from a CSR</h2>
      <label for="issue-consumer">Consumer id</label>
      <input id="issue-consumer" required value={consumerId} onInput={(event) => setConsumerId(event.currentTarget.value)} />
      <label for="issue-csr">The partner's CSR (PEM; the partner keeps its key)</label>
      <textarea id="issue-csr" required rows={6} value={csr} onInput={(event) => setCsr(event.currentTarget.value)} />
      <label for="issue-days">Valid for (days)</label>
      <input id="issue-days" type="number" min={1} max={3650} required value={days} onInput={(event) => setDays(event.currentTarget.value)} />
      <div class="actions">
        <button type="submit" class="primary">
          Issue certificate
        </button>
      </div>
    </form>
  );
}

export function Certificates({ session }: { session: Session }) {
  const { ask, reload, dialog } = useChanges();
  const [ca, setCa] = useState<CaState | null>(null);
  const [expiries, setExpiries] = useState<{ warningDays: number; items: Expiry[] } | null>(null);
  const [issued, setIssued] = useState<{ serial: string; consumerId: string; pem: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<CaState>('GET', '/v1/ca').then(setCa, setError);
    call<{ warningDays: number; items: Expiry[] }>('GET', '/v1/certificates/expiries').then(setExpiries, setError);
  }, [reload]);
  const issuing = ca?.issuing.enabled === true;
  const issue = (consumerId: string, csr: string, days: number) =>
    ask({
      title: 'Issue a client certificate',
      summary: (
        <p>
          Issue a client certificate for the consumer <strong>{consumerId}</strong>, valid {days} days, with the subject its CSR requests, signed by {ca?.certificate?.subject}. It authenticates as{' '}
          {consumerId} on mTLS routes until it expires or is revoked. The issuance is recorded in the audit trail with you as the actor.
        </p>
      ),
      action: 'Issue certificate',
      run: async () => {
        const answer = await call<{ certificate: IssuedCertificate; certificatePem: string }>('POST', '/v1/certificates', { consumerId, csr, days });
        setIssued({ serial: answer.certificate.serial, consumerId: answer.certificate.consumerId, pem: answer.certificatePem });
      },
    });
  const revoke = (item: IssuedCertificate) =>
    ask({
      title: 'Revoke a certificate',
      summary: (
        <p>
          Revoke the certificate <code>{item.serial}</code> of {item.consumerId} ({item.subject}) now, and sign a new CRL: this gateway refuses it at once, other nodes at their next CRL refresh. This cannot be undone.
        </p>
      ),
      action: 'Revoke certificate',
      danger: true,
      run: () => call('POST', `/v1/certificates/${item.serial}/revoke`, {}),
    });
  return (
    <>
      <h1>Certificates and the private CA</h1>
      <ProblemBox error={error} />
      <section aria-labelledby="ca-title">
        <h2 id="ca-title">Private CA</h2>
        {ca === null ? <p>Loading…</p> : <CaSummary ca={ca} />}
        {ca?.configured && (
          <p class={issuing ? undefined : 'muted'} role="note">
            {ca.issuing.detail}
          </p>
        )}
        {issuing && can(session, 'certificates:write') && <IssueForm onIssue={issue} />}
        {issued && (
          <section class="shown-once" aria-labelledby="issued-title">
            <h2 id="issued-title">
              Certificate {issued.serial} for {issued.consumerId}
            </h2>
            <p>Hand this chain to the partner (it holds no secret).</p>
            <output class="secret" aria-label="Issued certificate chain">
              {issued.pem}
            </output>
            <div class="actions">
              <CopyButton value={issued.pem} label="Copy certificate" />
              <button type="button" onClick={() => setIssued(null)}>
                Done
              </button>
            </div>
          </section>
        )}
      </section>
      {ca?.configured && (
        <PagedTable<IssuedCertificate>
          caption="Certificates issued by the private CA"
          path="/v1/certificates"
          reload={reload}
          columns={[
            { label: 'Serial', render: (item) => <code>{item.serial}</code> },
            { label: 'Consumer', render: (item) => <a href={`#/consumers/${encodeURIComponent(item.consumerId)}`}>{item.consumerId}</a> },
            { label: 'Subject', render: (item) => item.subject },
            { label: 'Not after', render: (item) => formatTime(item.notAfter) },
            { label: 'Days left', render: (item) => item.daysLeft },
            { label: 'Status', render: (item) => <span class={`status-${item.status}`}>{item.status === 'revoked' ? `revoked ${formatTime(item.revokedAt)}` : 'active'}</span> },
            {
              label: 'Actions',
              render: (item) =>
                issuing && can(session, 'certificates:revoke') && item.status === 'active' ? (
                  <button type="button" class="danger" onClick={() => revoke(item)} aria-label={`Revoke ${item.serial}`}>
                    Revoke
                  </button>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      )}
      <section aria-labelledby="expiries-title">
        <h2 id="expiries-title">Expiries</h2>
        {expiries === null ? (
          <p>Loading…</p>
        ) : expiries.items.length === 0 ? (
          <p>The gateway holds no certificate: no TLS listener, upstream TLS or private CA.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption>Certificates the gateway holds, soonest expiry first (warning within {expiries.warningDays} days)</caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Belongs to</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Days left</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {expiries.items.map((item) => (
                  <tr>
                    <td data-label="Kind">{kindLabel(item.kind)}</td>
                    <td data-label="Belongs to">{item.name}</td>
                    <td data-label="Subject">{item.subject}</td>
                    <td data-label="Expires">{formatTime(item.notAfter)}</td>
                    <td data-label="Days left">{item.daysLeft}</td>
                    <td data-label="State">
                      <span class={item.state === 'ok' ? 'ok' : 'status-expired'}>{item.state}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {dialog}
    </>
  );
}
