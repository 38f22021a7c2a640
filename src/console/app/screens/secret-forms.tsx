/**
 * Vault changes (docs/vault.md): writing a new version of a secret (POST
 * /v1/secrets/:name/versions; promoted at once, or staged) and promoting a version (POST
 * /v1/secrets/:name/promote: every node serves it within a second; also how to roll back). The
 * value typed here goes in the one POST body and is cleared from the page once sent: it is never
 * shown in a summary, kept in storage or read back.
 */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { formatTime, ProblemBox, type Confirmation } from '../ui.js';

interface Version {
  version: number;
  promoted: boolean;
  kekId: string;
  createdBy: string;
  createdAt: string;
}

export function SecretWriteForm({ ask, name, onName }: { ask: (confirmation: Confirmation) => void; name: string; onName: (name: string) => void }) {
  const [value, setValue] = useState('');
  const [description, setDescription] = useState('');
  const [stage, setStage] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    const target = name.trim();
    const body = { value, stage, ...(description.trim() ? { description: description.trim() } : {}) };
    ask({
      title: 'Write a secret',
      summary: (
        <p>
          Store a new version of <code>{target}</code> ({value.length} characters, sealed under the vault’s KEK; created if new).{' '}
          {stage ? 'It is staged: nothing serves it until you promote it (a first version is promoted anyway).' : 'It is promoted at once: every node serves it within a second.'}
        </p>
      ),
      action: stage ? 'Store staged version' : 'Store and promote',
      run: async () => {
        await call('POST', `/v1/secrets/${encodeURIComponent(target)}/versions`, body);
        setValue('');
        setDescription('');
      },
    });
  };
  return (
    <form class="grid" onSubmit={submit} aria-labelledby="secret-write-title">
      <h2 id="secret-write-title">Write a secret (a new version)</h2>
      <label for="secret-name">Secret name</label>
      <input id="secret-name" required value={name} onInput={(event) => onName(event.currentTarget.value)} />
      <label for="secret-value">Value (never shown again)</label>
      <input id="secret-value" type="password" autocomplete="off" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
      <label for="secret-description">Description (optional)</label>
      <input id="secret-description" maxLength={500} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
      <label for="secret-stage">Stage it (promote later)</label>
      <input id="secret-stage" type="checkbox" checked={stage} onChange={(event) => setStage(event.currentTarget.checked)} />
      <button type="submit" class="primary">
        Write secret
      </button>
    </form>
  );
}

/** A secret's versions (GET /v1/secrets/:name/versions) with a promote button on each other one. */
export function SecretVersions({ name, reload, ask, canWrite }: { name: string; reload: number; ask: (confirmation: Confirmation) => void; canWrite: boolean }) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call<{ versions: Version[] }>('GET', `/v1/secrets/${encodeURIComponent(name)}/versions`).then((answer) => (setVersions(answer.versions), setError(null)), setError);
  }, [name, reload]);
  const current = versions?.find((item) => item.promoted)?.version;
  const promote = (item: Version) =>
    ask({
      title: 'Promote a secret version',
      summary: (
        <p>
          Promote version {item.version} of <code>{name}</code> (written {formatTime(item.createdAt)} by {item.createdBy}) in place of version {current ?? 'none'}: every node serves it within a second, and whatever uses the secret gets this value.
        </p>
      ),
      action: `Promote version ${item.version}`,
      run: () => call('POST', `/v1/secrets/${encodeURIComponent(name)}/promote`, { version: item.version }),
    });
  return (
    <section aria-labelledby="secret-versions-title">
      <h2 id="secret-versions-title">Versions of {name}</h2>
      <ProblemBox error={error} />
      {versions && (
        <table>
          <caption>Versions of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Written</th>
              <th scope="col">KEK</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((item) => (
              <tr>
                <td data-label="Version">{item.version}</td>
                <td data-label="State">{item.promoted ? <span class="status-active">promoted</span> : 'stored'}</td>
                <td data-label="Written">
                  {formatTime(item.createdAt)} by {item.createdBy}
                </td>
                <td data-label="KEK">
                  <code>{item.kekId}</code>
                </td>
                <td data-label="Actions">
                  {canWrite && !item.promoted ? (
                    <button type="button" onClick={() => promote(item)} aria-label={`Promote version ${item.version} of ${name}`}>
                      Promote
                    </button>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
