/**
 * The audit trail: records newest first (paginated), filtered by actor, action, target and time;
 * each record's before/after changes side by side; and "Verify this range", which asks the API to
 * recompute the hash chain and check the checkpoint signatures over the filtered time range.
 */
import { useState } from 'preact/hooks';
import { call, type Session } from '../api.js';
import { formatTime, localToRfc3339, PagedTable, ProblemBox } from '../ui.js';

interface AuditRecord {
  seq: number;
  time: string;
  actor: { type: string; id: string; mfa?: boolean };
  action: string;
  target: { kind: string; id: string };
  changes?: { before?: Record<string, unknown>; after?: Record<string, unknown> };
  detail?: Record<string, unknown>;
  sourceIp?: string;
  outcome: 'success' | 'denied' | 'failure';
  hash: string;
}

interface Finding {
  kind: string;
  fromSeq: number;
  toSeq: number;
  message: string;
}

interface Verification {
  ok: boolean;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  anchoredThrough: number;
  checkpoints: number;
  findings: Finding[];
}

/** Every finding is `not_anchored`: the hashes agree; no signature covers the newest records yet. */
const awaitsCheckpoint = (verification: Verification) => verification.findings.every((item) => item.kind === 'not_anchored');

const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

/** The fields a change touched, before and after (a field only one side has shows — on the other). */
function Changes({ record }: { record: AuditRecord }) {
  const before = record.changes?.before ?? {};
  const after = record.changes?.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  if (fields.length === 0 && !record.detail) return <>—</>;
  return (
    <details>
      <summary>Changes of #{record.seq}</summary>
      {fields.length > 0 && (
        <table class="diff">
          <caption>Record {record.seq}: before and after</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field) => {
              const changed = show(before[field]) !== show(after[field]);
              return (
                <tr class={changed ? 'changed' : undefined}>
                  <th scope="row">{field}</th>
                  <td>
                    <code>{show(before[field])}</code>
                  </td>
                  <td>
                    <code>{show(after[field])}</code>
                    {changed && <span class="visually-hidden"> (changed)</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {record.detail && (
        <p>
          Detail: <code>{JSON.stringify(record.detail)}</code>
        </p>
      )}
    </details>
  );
}

export function Audit(_: { session: Session }) {
  const [form, setForm] = useState({ actor: '', action: '', targetKind: '', target: '', since: '', until: '' });
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [verification, setVerification] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof form, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <p>
      <label for={`audit-${name}`}>{label}</label>
      {type === 'datetime-local' ? (
        <input id={`audit-${name}`} type="datetime-local" value={form[name]} onInput={(event) => setForm({ ...form, [name]: event.currentTarget.value })} />
      ) : (
        <input id={`audit-${name}`} type="text" value={form[name]} onInput={(event) => setForm({ ...form, [name]: event.currentTarget.value })} />
      )}
    </p>
  );
  const apply = (event: Event) => {
    event.preventDefault();
    const next: Record<string, string> = {};
    for (const name of ['actor', 'action', 'targetKind', 'target'] as const) if (form[name].trim()) next[name] = form[name].trim();
    const since = localToRfc3339(form.since);
    const until = localToRfc3339(form.until);
    if (since) next.since = since;
    if (until) next.until = until;
    setFilters(next);
    setVerification(null);
  };
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setVerification(await call<Verification>('POST', '/v1/audit/verify', { ...(filters.since ? { since: filters.since } : {}), ...(filters.until ? { until: filters.until } : {}) }));
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Audit trail</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter the audit trail">
        {field('actor', 'Actor id')}
        {field('action', 'Action (api_key.revoke)')}
        {field('targetKind', 'Target kind')}
        {field('target', 'Target id')}
        {field('since', 'From (your time)', 'datetime-local')}
        {field('until', 'Until (your time)', 'datetime-local')}
        <p class="filter-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button type="button" onClick={verify} disabled={busy}>
            Verify this range
          </button>
        </p>
      </form>
      <ProblemBox error={error} />
      {verification && (
        <section class={verification.ok ? 'verified' : awaitsCheckpoint(verification) ? 'awaiting' : 'problem'} role="status" aria-labelledby="verify-title">
          <h2 id="verify-title">{verification.ok ? 'The chain verifies' : awaitsCheckpoint(verification) ? 'The chain verifies; the newest records await a checkpoint' : 'The chain does NOT verify'}</h2>
          <p>
            {verification.records} records ({verification.firstSeq ?? '—'} to {verification.lastSeq ?? '—'}, widened to checkpoint boundaries), {verification.checkpoints} signed checkpoints; anchored through record {verification.anchoredThrough}.
          </p>
          {verification.findings.length > 0 && (
            <ul>
              {verification.findings.map((item) => (
                <li>
                  <code>{item.kind}</code> {item.message}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <PagedTable<AuditRecord>
        caption="Audit records, newest first"
        path="/v1/audit"
        query={filters}
        columns={[
          { label: 'Seq', render: (record) => record.seq },
          { label: 'Time', render: (record) => formatTime(record.time) },
          { label: 'Actor', render: (record) => `${record.actor.type}:${record.actor.id}${record.actor.mfa ? ' (MFA)' : ''}` },
          { label: 'Action', render: (record) => <code>{record.action}</code> },
          { label: 'Target', render: (record) => `${record.target.kind}:${record.target.id}` },
          { label: 'Outcome', render: (record) => <span class={`outcome-${record.outcome}`}>{record.outcome}</span> },
          { label: 'From', render: (record) => record.sourceIp ?? '—' },
          { label: 'Changes', render: (record) => <Changes record={record} /> },
        ]}
      />
    </>
  );
}
