/**
 * The built-in authorization server's state: OAuth clients (paginated; create one for a consumer,
 * with a client secret shown once, the public keys (a JWKS) of a private_key_jwt client, or both;
 * rotate the secret with a grace period, shown once; revoke) and the token signing keys (rotate: a
 * new active key, the old one published while tokens it signed may live).
 */
import { useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, PagedTable, ShownOnce, useChanges } from '../ui.js';
import { ConsumerPicker } from './consumer-picker.js';

interface Client {
  clientId: string;
  consumerId: string;
  name: string;
  scopes: string[];
  status: 'active' | 'revoked';
  authMethods: string[];
  createdAt: string;
}

interface SigningKey {
  kid: string;
  algorithm: string;
  status: 'active' | 'retired';
  published: boolean;
  createdAt: string;
  publishUntil: string | null;
}

export function OAuth({ session }: { session: Session }) {
  const { ask: setPending, reload, dialog } = useChanges();
  const [shown, setShown] = useState<{ label: string; value: string } | null>(null);
  const [grace, setGrace] = useState('86400');
  const [draft, setDraft] = useState({ consumerId: '', name: '', scopes: '', jwks: '', secret: true });
  const [jwksProblem, setJwksProblem] = useState<string | null>(null);
  const create = (event: Event) => {
    event.preventDefault();
    const jwks = parseJwks(draft.jwks);
    setJwksProblem(typeof jwks === 'string' ? jwks : null);
    if (typeof jwks === 'string') return;
    if (!jwks && !draft.secret) return setJwksProblem('A client without a secret needs public keys to authenticate with (private_key_jwt).');
    const body = { consumerId: draft.consumerId, name: draft.name.trim(), scopes: draft.scopes.split(/[\s,]+/).filter(Boolean), secret: draft.secret, ...(jwks ? { jwks } : {}) };
    const kids = jwks ? jwks.keys.map((key) => (typeof key.kid === 'string' ? key.kid : '(no kid)')).join(', ') : '';
    setPending({
      title: 'Create an OAuth client',
      summary: (
        <p>
          Create the OAuth client <strong>{body.name}</strong> for the consumer <code>{body.consumerId}</code>, which may be granted {body.scopes.length ? <>the scopes {body.scopes.join(', ')}</> : 'no scope'}.
          {jwks ? ` It authenticates with private_key_jwt, signed by the keys ${kids}.` : ''}
          {body.secret ? ' Its client secret is shown once.' : ' It has no client secret.'}
        </p>
      ),
      action: 'Create client',
      run: async () => {
        const answer = await call<{ clientSecret?: string; client: Client }>('POST', '/v1/oauth/clients', body);
        setDraft({ ...draft, name: '', scopes: '', jwks: '', secret: true });
        if (answer.clientSecret) setShown({ label: `Client secret of ${answer.client.name} (client id ${answer.client.clientId})`, value: answer.clientSecret });
      },
    });
  };
  const rotate = (client: Client) =>
    setPending({
      title: 'Rotate a client secret',
      summary: <p>Give {client.name} a new client secret; the old one keeps working for {grace} seconds. The new secret is shown once.</p>,
      action: 'Rotate secret',
      run: async () => setShown({ label: `Client secret of ${client.name}`, value: (await call<{ clientSecret: string }>('POST', `/v1/oauth/clients/${client.clientId}/rotate`, { gracePeriodSeconds: Number(grace) })).clientSecret }),
    });
  const revoke = (client: Client) =>
    setPending({
      title: 'Revoke an OAuth client',
      summary: <p>Revoke {client.name}: it gets no more tokens, and the tokens it holds are refused.</p>,
      action: 'Revoke client',
      danger: true,
      run: () => call('POST', `/v1/oauth/clients/${client.clientId}/revoke`, {}),
    });
  const rotateKeys = () =>
    setPending({
      title: 'Rotate the signing key',
      summary: <p>Make a new signing key for access tokens. The current one retires but stays in the JWKS while tokens it signed may still be live.</p>,
      action: 'Rotate signing key',
      run: () => call('POST', '/v1/oauth/signing-keys/rotate', {}),
    });
  return (
    <>
      <h1>OAuth clients and signing keys</h1>
      {shown && <ShownOnce label={shown.label} value={shown.value} onDone={() => setShown(null)} />}
      {can(session, 'oauth-clients:write') && (
        <form class="grid" onSubmit={create} aria-labelledby="client-create-title">
          <h2 id="client-create-title">Create an OAuth client</h2>
          <ConsumerPicker id="client-consumer" value={draft.consumerId} onChange={(consumerId) => setDraft({ ...draft, consumerId })} />
          <label for="client-name">Client name</label>
          <input id="client-name" required maxLength={100} value={draft.name} onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })} />
          <label for="client-scopes">Scopes it may be granted (separated by spaces)</label>
          <input id="client-scopes" value={draft.scopes} onInput={(event) => setDraft({ ...draft, scopes: event.currentTarget.value })} />
          <label for="client-jwks">Public keys for private_key_jwt (a JWKS, JSON; optional)</label>
          <textarea id="client-jwks" rows={4} spellcheck={false} placeholder='{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"partner-key-1"}]}' aria-describedby={jwksProblem ? 'client-jwks-problem' : undefined} value={draft.jwks} onInput={(event) => setDraft({ ...draft, jwks: event.currentTarget.value })} />
          {jwksProblem && (
            <p id="client-jwks-problem" role="alert" class="problem">
              {jwksProblem}
            </p>
          )}
          <label for="client-secret">Give it a client secret (client_secret_basic)</label>
          <input id="client-secret" type="checkbox" checked={draft.secret} onChange={(event) => setDraft({ ...draft, secret: event.currentTarget.checked })} />
          <button type="submit" class="primary">
            Create client
          </button>
        </form>
      )}
      {can(session, 'oauth-clients:write') && (
        <p>
          <label for="client-grace">Grace period when rotating a secret (seconds)</label> <input id="client-grace" type="number" min="0" value={grace} onInput={(event) => setGrace(event.currentTarget.value)} />
        </p>
      )}
      <PagedTable<Client>
        caption="OAuth clients"
        path="/v1/oauth/clients"
        reload={reload}
        columns={[
          { label: 'Name', render: (client) => client.name },
          { label: 'Client id', render: (client) => <code>{client.clientId}</code> },
          { label: 'Consumer', render: (client) => <a href={`#/consumers/${client.consumerId}`}>{client.consumerId}</a> },
          { label: 'Status', render: (client) => <span class={`status-${client.status}`}>{client.status}</span> },
          { label: 'Scopes', render: (client) => client.scopes.join(' ') || '—' },
          { label: 'Authentication', render: (client) => client.authMethods.join(', ') },
          {
            label: 'Actions',
            render: (client) =>
              client.status === 'active' && (can(session, 'oauth-clients:write') || can(session, 'oauth-clients:revoke')) ? (
                <span class="row-actions">
                  {can(session, 'oauth-clients:write') && client.authMethods.includes('client_secret_basic') && (
                    <button type="button" onClick={() => rotate(client)} aria-label={`Rotate secret of ${client.name}`}>
                      Rotate secret
                    </button>
                  )}
                  {can(session, 'oauth-clients:revoke') && (
                    <button type="button" class="danger" onClick={() => revoke(client)} aria-label={`Revoke ${client.name}`}>
                      Revoke
                    </button>
                  )}
                </span>
              ) : (
                '—'
              ),
          },
        ]}
      />
      {can(session, 'signing-keys:write') && (
        <p>
          <button type="button" onClick={rotateKeys}>
            Rotate the signing key
          </button>
        </p>
      )}
      {can(session, 'signing-keys:read') && (
        <PagedTable<SigningKey>
          caption="Token signing keys"
          path="/v1/oauth/signing-keys"
          reload={reload}
          columns={[
            { label: 'Key id', render: (key) => <code>{key.kid}</code> },
            { label: 'Algorithm', render: (key) => key.algorithm },
            { label: 'Status', render: (key) => <span class={`status-${key.status}`}>{key.status}</span> },
            { label: 'In the JWKS', render: (key) => (key.published ? `yes${key.publishUntil ? `, until ${formatTime(key.publishUntil)}` : ''}` : 'no') },
            { label: 'Created', render: (key) => formatTime(key.createdAt) },
          ]}
        />
      )}
      {dialog}
    </>
  );
}

/**
 * The JWKS field (RFC 7517 §5: an object with a `keys` array): undefined when empty, else the set,
 * or what is wrong with it. The keys themselves are checked by the API (400 with the reason).
 */
function parseJwks(text: string): { keys: Array<Record<string, unknown>> } | string | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'The public keys are not JSON: paste a JWKS, {"keys": [ … ]}.';
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) return 'A JWKS is an object whose "keys" lists one or more keys (RFC 7517 §5).';
  return { keys: keys as Array<Record<string, unknown>> };
}
