/** Rate-limit overrides: a consumer's or a key's own limit (paginated); set one, delete one. */
import { useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, PagedTable, useChanges } from '../ui.js';

interface Override {
  id: string;
  subjectType: 'consumer' | 'api_key';
  subjectId: string;
  limitName: string;
  limit: number;
  windowSeconds: number | null;
  burst: number | null;
  updatedAt: string;
}

export function Overrides({ session }: { session: Session }) {
  const { ask: setPending, reload, dialog } = useChanges();
  const [form, setForm] = useState({ subjectType: 'consumer', subjectId: '', limitName: '', limit: '', windowSeconds: '' });
  const write = can(session, 'rate-limit-overrides:write');
  const set = (event: Event) => {
    event.preventDefault();
    const body = { subjectType: form.subjectType, subjectId: form.subjectId.trim(), limitName: form.limitName.trim(), limit: Number(form.limit), ...(form.windowSeconds ? { windowSeconds: Number(form.windowSeconds) } : {}) };
    setPending({
      title: 'Set a rate-limit override',
      summary: (
        <p>
          Give the {body.subjectType} {body.subjectId} a {body.limitName} limit of {body.limit} requests{body.windowSeconds ? ` per ${body.windowSeconds} s` : ' per the configured window'}; every node applies it within a second.
        </p>
      ),
      action: 'Set override',
      run: () => call('POST', '/v1/rate-limit-overrides', body),
    });
  };
  const remove = (item: Override) =>
    setPending({
      title: 'Delete a rate-limit override',
      summary: <p>Delete the {item.limitName} override of {item.subjectType} {item.subjectId}: the configured limit applies again.</p>,
      action: 'Delete override',
      danger: true,
      run: () => call('DELETE', `/v1/rate-limit-overrides/${item.id}`),
    });
  const input = (name: keyof typeof form, label: string, type: 'text' | 'number' = 'text', required = true) => (
    <>
      <label for={`override-${name}`}>{label}</label>
      {type === 'number' ? (
        <input id={`override-${name}`} type="number" min="1" required={required} value={form[name]} onInput={(event) => setForm({ ...form, [name]: event.currentTarget.value })} />
      ) : (
        <input id={`override-${name}`} type="text" required={required} value={form[name]} onInput={(event) => setForm({ ...form, [name]: event.currentTarget.value })} />
      )}
    </>
  );
  return (
    <>
      <h1>Rate-limit overrides</h1>
      {write && (
        <form class="grid" onSubmit={set} aria-labelledby="override-title">
          <h2 id="override-title">Set an override</h2>
          <label for="override-subjectType">For</label>
          <select id="override-subjectType" value={form.subjectType} onChange={(event) => setForm({ ...form, subjectType: event.currentTarget.value })}>
            <option value="consumer">a consumer</option>
            <option value="api_key">an API key</option>
          </select>
          {input('subjectId', 'Consumer or key id')}
          {input('limitName', 'Limit name (from the config’s ratelimit policy)')}
          {input('limit', 'Requests', 'number')}
          {input('windowSeconds', 'Window (seconds; empty: the configured one)', 'number', false)}
          <button type="submit" class="primary">
            Set override
          </button>
        </form>
      )}
      <PagedTable<Override>
        caption="Rate-limit overrides"
        path="/v1/rate-limit-overrides"
        reload={reload}
        columns={[
          { label: 'Subject', render: (item) => `${item.subjectType} ${item.subjectId}` },
          { label: 'Limit', render: (item) => item.limitName },
          { label: 'Requests', render: (item) => item.limit },
          { label: 'Window', render: (item) => (item.windowSeconds ? `${item.windowSeconds} s` : 'configured') },
          { label: 'Burst', render: (item) => item.burst ?? '—' },
          { label: 'Updated', render: (item) => formatTime(item.updatedAt) },
          {
            label: 'Actions',
            render: (item) =>
              write ? (
                <button type="button" class="danger" onClick={() => remove(item)} aria-label={`Delete the ${item.limitName} override of ${item.subjectId}`}>
                  Delete
                </button>
              ) : (
                '—'
              ),
          },
        ]}
      />
      {dialog}
    </>
  );
}
