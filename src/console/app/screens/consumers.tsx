/**
 * Consumers and their API keys: list (paginated), create a consumer, issue a key (shown once, with
 * a copy button), rotate a key with a grace period, revoke it, disable or enable a consumer. Every
 * change passes the confirmation dialog; buttons show only with the permission (the API enforces).
 */
import { ConsumerTraffic } from './consumer-traffic.js';
import { useEffect, useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { ConfirmDialog, formatTime, PagedTable, ProblemBox, ShownOnce, type Confirmation } from '../ui.js';

export interface Consumer {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  consumerId: string;
  name: string;
  environment: string;
  scopes: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  replacedBy: string | null;
  pastWarningAge: boolean;
}

const scopesOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((scope) => scope.trim())
    .filter(Boolean);

export function Consumers({ session }: { session: Session }) {
  const [pending, setPending] = useState<Confirmation | null>(null);
  const [reload, setReload] = useState(0);
  const [name, setName] = useState('');
  const create = (event: Event) => {
    event.preventDefault();
    setPending({
      title: 'Create a consumer',
      summary: (
        <p>
          Create the consumer <strong>{name}</strong>. It has no credential until you issue a key.
        </p>
      ),
      action: 'Create consumer',
      run: () => call('POST', '/v1/consumers', { name }),
    });
  };
  return (
    <>
      <h1>Consumers</h1>
      {can(session, 'consumers:write') && (
        <form class="inline" onSubmit={create}>
          <label for="consumer-name">New consumer’s name</label>
          <input id="consumer-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <button type="submit" class="primary">
            Create consumer
          </button>
        </form>
      )}
      <PagedTable<Consumer>
        caption="Consumers"
        path="/v1/consumers"
        reload={reload}
        columns={[
          { label: 'Name', render: (consumer) => <a href={`#/consumers/${consumer.id}`}>{consumer.name}</a> },
          { label: 'Status', render: (consumer) => <span class={`status-${consumer.status}`}>{consumer.status}</span> },
          { label: 'Id', render: (consumer) => <code>{consumer.id}</code> },
          { label: 'Created', render: (consumer) => formatTime(consumer.createdAt) },
        ]}
      />
      <ConfirmDialog
        pending={pending}
        onClose={(done) => {
          setPending(null);
          if (done) {
            setName('');
            setReload(reload + 1);
          }
        }}
      />
    </>
  );
}

interface IssuedKey {
  secret: string;
  apiKey: ApiKey;
}

export function ConsumerDetail({ session, id }: { session: Session; id: string }) {
  const [pending, setPending] = useState<Confirmation | null>(null);
  const [reload, setReload] = useState(0);
  const [consumer, setConsumer] = useState<Consumer | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<Consumer>('GET', `/v1/consumers/${encodeURIComponent(id)}`).then(setConsumer, setError);
  }, [id, reload]);
  const [shown, setShown] = useState<IssuedKey | null>(null);
  const [keyName, setKeyName] = useState('');
  const [scopes, setScopes] = useState('');
  const [days, setDays] = useState('90');
  const [grace, setGrace] = useState('86400');
  const writeKeys = can(session, 'keys:write');
  const title = consumer?.name ?? id;

  const issue = (event: Event) => {
    event.preventDefault();
    const body = { consumerId: id, name: keyName, scopes: scopesOf(scopes), ...(days ? { expiresInDays: Number(days) } : {}) };
    setPending({
      title: 'Issue an API key',
      summary: (
        <p>
          Issue the key <strong>{keyName}</strong> to <strong>{title}</strong> with the scopes {body.scopes.length ? body.scopes.join(', ') : '(none)'}, valid for {days || 'the default number of'} days. The key is shown once.
        </p>
      ),
      action: 'Issue key',
      run: async () => setShown(await call<IssuedKey>('POST', '/v1/keys', body)),
    });
  };
  const rotate = (key: ApiKey) =>
    setPending({
      title: 'Rotate an API key',
      summary: (
        <p>
          Replace <strong>{key.name}</strong> with a new key. The old one keeps working for {grace} seconds, then stops. The new key is shown once.
        </p>
      ),
      action: 'Rotate key',
      run: async () => setShown(await call<IssuedKey>('POST', `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds: Number(grace) })),
    });
  const revoke = (key: ApiKey) =>
    setPending({
      title: 'Revoke an API key',
      summary: (
        <p>
          Revoke <strong>{key.name}</strong> of {title} now. Every gateway node refuses it within a second; this cannot be undone.
        </p>
      ),
      action: 'Revoke key',
      danger: true,
      run: () => call('POST', `/v1/keys/${key.id}/revoke`, {}),
    });
  const toggle = () =>
    consumer &&
    setPending({
      title: consumer.status === 'active' ? 'Disable a consumer' : 'Enable a consumer',
      summary: <p>{consumer.status === 'active' ? `Disable ${title}: every key and client of it stops working at once.` : `Enable ${title} again: its active keys work again.`}</p>,
      action: consumer.status === 'active' ? 'Disable consumer' : 'Enable consumer',
      danger: consumer.status === 'active',
      run: () => call('POST', `/v1/consumers/${id}/${consumer.status === 'active' ? 'disable' : 'enable'}`, {}),
    });

  return (
    <>
      <p>
        <a href="#/consumers">← All consumers</a>
      </p>
      <h1>Consumer {title}</h1>
      <ProblemBox error={error} />
      {consumer && (
        <p>
          Status <span class={`status-${consumer.status}`}>{consumer.status}</span> · id <code>{consumer.id}</code> · created {formatTime(consumer.createdAt)}
          {can(session, 'consumers:write') && (
            <>
              {' '}
              <button type="button" onClick={toggle}>
                {consumer.status === 'active' ? 'Disable consumer' : 'Enable consumer'}
              </button>
            </>
          )}
        </p>
      )}
      {shown && <ShownOnce label={`API key ${shown.apiKey.name}`} value={shown.secret} onDone={() => setShown(null)} />}
      {writeKeys && (
        <form class="grid" onSubmit={issue} aria-labelledby="issue-title">
          <h2 id="issue-title">Issue a key</h2>
          <label for="key-name">Key name</label>
          <input id="key-name" required value={keyName} onInput={(event) => setKeyName(event.currentTarget.value)} />
          <label for="key-scopes">Scopes (separated by spaces or commas)</label>
          <input id="key-scopes" value={scopes} onInput={(event) => setScopes(event.currentTarget.value)} />
          <label for="key-days">Valid for (days)</label>
          <input id="key-days" type="number" min="1" value={days} onInput={(event) => setDays(event.currentTarget.value)} />
          <button type="submit" class="primary">
            Issue key
          </button>
        </form>
      )}
      {writeKeys && (
        <p>
          <label for="grace">Grace period when rotating (seconds)</label> <input id="grace" type="number" min="0" value={grace} onInput={(event) => setGrace(event.currentTarget.value)} />
        </p>
      )}
      <PagedTable<ApiKey>
        caption={`API keys of ${title}`}
        path="/v1/keys"
        query={{ consumerId: id }}
        reload={reload}
        columns={[
          { label: 'Name', render: (key) => key.name },
          { label: 'Status', render: (key) => <span class={`status-${key.status}`}>{key.status}</span> },
          { label: 'Scopes', render: (key) => key.scopes.join(' ') || '—' },
          { label: 'Expires', render: (key) => formatTime(key.expiresAt) },
          { label: 'Last used', render: (key) => formatTime(key.lastUsedAt) },
          {
            label: 'Actions',
            render: (key) =>
              writeKeys && key.status === 'active' ? (
                <span class="row-actions">
                  <button type="button" onClick={() => rotate(key)} aria-label={`Rotate ${key.name}`}>
                    Rotate
                  </button>
                  <button type="button" class="danger" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                    Revoke
                  </button>
                </span>
              ) : (
                '—'
              ),
          },
        ]}
      />
      <ConsumerTraffic session={session} id={id} reload={reload} />
      <ConfirmDialog
        pending={pending}
        onClose={(done) => {
          setPending(null);
          if (done) {
            setKeyName('');
            setScopes('');
            setReload(reload + 1);
          }
        }}
      />
    </>
  );
}
