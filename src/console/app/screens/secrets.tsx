/**
 * Outbound credentials (metadata, state, last refresh error; create with secret references;
 * refresh, release, revoke) and vault secrets (names, versions, never a value; write a new version,
 * promote one; reveal one behind a fresh second factor, audited by the API before it answers; the
 * value is shown until dismissed and never stored).
 */
import { useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, PagedTable, ShownOnce, useChanges } from '../ui.js';
import { CredentialForm } from './credential-form.js';
import { SecretVersions, SecretWriteForm } from './secret-forms.js';

interface Credential {
  id: string;
  name: string;
  kind: string;
  status: string;
  statusReason: string | null;
  owner: string;
  effectiveExpiresAt: string;
  tokenExpiresAt: string | null;
  refreshedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

interface Secret {
  name: string;
  currentVersion: number | null;
  versions: number;
  description: string;
  createdBy: string;
}

export function Secrets({ session }: { session: Session }) {
  const { ask: setPending, reload, dialog } = useChanges();
  const [revealed, setRevealed] = useState<{ label: string; value: string } | null>(null);
  const [writeName, setWriteName] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const writeSecrets = can(session, 'secrets:write');
  const write = can(session, 'credentials:write');
  const act = (title: string, summary: string, action: string, run: () => Promise<unknown>, danger = false) => setPending({ title, summary: <p>{summary}</p>, action, run, danger });
  const reveal = (secret: Secret) =>
    act('Reveal a secret', `Show the value of ${secret.name} (version ${secret.currentVersion}). The reveal is recorded in the audit trail, with you as the actor, before the value is sent.`, 'Reveal value', async () => {
      const answer = await call<{ name: string; version: number; value: string }>('POST', `/v1/secrets/${encodeURIComponent(secret.name)}/reveal`, {});
      setRevealed({ label: `${answer.name}, version ${answer.version}`, value: answer.value });
    });
  return (
    <>
      <h1>Outbound credentials and vault secrets</h1>
      {revealed && <ShownOnce label={revealed.label} value={revealed.value} onDone={() => setRevealed(null)} />}
      {write && <CredentialForm ask={setPending} />}
      {can(session, 'credentials:read') && (
        <PagedTable<Credential>
          caption="Upstream credentials"
          path="/v1/credentials"
          reload={reload}
          columns={[
            { label: 'Name', render: (item) => item.name },
            { label: 'Kind', render: (item) => item.kind },
            { label: 'State', render: (item) => <span class={`status-${item.status}`}>{item.status}{item.statusReason ? ` (${item.statusReason})` : ''}</span> },
            { label: 'Owner', render: (item) => item.owner },
            { label: 'Expires', render: (item) => formatTime(item.effectiveExpiresAt) },
            { label: 'Token refreshed', render: (item) => formatTime(item.refreshedAt) },
            { label: 'Last refresh error', render: (item) => (item.lastError ? `${item.lastError} (${formatTime(item.lastErrorAt)})` : '—') },
            {
              label: 'Actions',
              render: (item) =>
                write && item.status !== 'revoked' ? (
                  <span class="row-actions">
                    <button type="button" onClick={() => act('Refresh a credential', `Ask the token endpoint of ${item.name} for a new token now.`, 'Refresh', () => call('POST', `/v1/credentials/${item.id}/refresh`, {}))} aria-label={`Refresh ${item.name}`}>
                      Refresh
                    </button>
                    {item.status === 'quarantined' && (
                      <button type="button" onClick={() => act('Release a credential', `Release ${item.name} from quarantine: the gateway injects it again.`, 'Release', () => call('POST', `/v1/credentials/${item.id}/release`, {}))} aria-label={`Release ${item.name}`}>
                        Release
                      </button>
                    )}
                    <button type="button" class="danger" onClick={() => act('Revoke a credential', `Revoke ${item.name} for good (reason: revoked-in-console); routes that inject it answer 503 until it is replaced.`, 'Revoke', () => call('POST', `/v1/credentials/${item.id}/revoke`, { reason: 'revoked-in-console' }), true)} aria-label={`Revoke ${item.name}`}>
                      Revoke
                    </button>
                  </span>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      )}
      {writeSecrets && <SecretWriteForm ask={setPending} name={writeName} onName={setWriteName} />}
      {can(session, 'secrets:read') && (
        <PagedTable<Secret>
          caption="Vault secrets (names and versions; never a value)"
          path="/v1/secrets"
          reload={reload}
          columns={[
            { label: 'Name', render: (item) => <code>{item.name}</code> },
            { label: 'Promoted version', render: (item) => item.currentVersion ?? '—' },
            { label: 'Versions', render: (item) => item.versions },
            { label: 'Description', render: (item) => item.description || '—' },
            { label: 'Created by', render: (item) => item.createdBy },
            {
              label: 'Actions',
              render: (item) => (
                <span class="row-actions">
                  <button type="button" onClick={() => setSelected(item.name)} aria-label={`Versions of ${item.name}`}>
                    Versions
                  </button>
                  {writeSecrets && (
                    <button type="button" onClick={() => (setWriteName(item.name), document.getElementById('secret-value')?.focus())} aria-label={`Write a new version of ${item.name}`}>
                      New version
                    </button>
                  )}
                  {can(session, 'credentials:reveal') && item.currentVersion !== null && (
                    <button type="button" onClick={() => reveal(item)} aria-label={`Reveal ${item.name}`}>
                      Reveal…
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
      {selected && can(session, 'secrets:read') && <SecretVersions name={selected} reload={reload} ask={setPending} canWrite={writeSecrets} />}
      {dialog}
    </>
  );
}
