/**
 * Creating an upstream credential (POST /v1/credentials; docs/outbound.md): a name, its kind, who
 * answers for it, an optional consumer, and the settings of the kind, every secret in them by
 * reference (`${secret:NAME}` from the vault, `${env:NAME}`), never a value: the API refuses
 * anything else (400 admin.invalid_request with the settings' problems).
 */
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { formatTime, localToRfc3339, type Confirmation } from '../ui.js';
import { ConsumerPicker } from './consumer-picker.js';

type Kind = 'static' | 'client_credentials' | 'refresh_token';

const EMPTY = { name: '', kind: 'static' as Kind, owner: '', consumerId: '', scheme: 'bearer', secret: '', username: '', header: '', tokenUrl: '', clientId: '', clientAuth: 'client_secret_basic', clientSecret: '', privateKey: '', tlsCert: '', tlsKey: '', scope: '', maxAgeDays: '', expiresAt: '', disableIfUnusedDays: '' };
type Draft = typeof EMPTY;

/** The settings object of the draft's kind, without empty fields. */
export function settingsOf(draft: Draft): Record<string, string> {
  const pick = (names: Array<keyof Draft>) => Object.fromEntries(names.filter((name) => draft[name].trim() !== '').map((name) => [name, draft[name].trim()]));
  if (draft.kind === 'static') return pick(['scheme', 'secret', ...(draft.scheme === 'basic' ? (['username'] as const) : []), ...(draft.scheme === 'header' ? (['header'] as const) : [])]);
  const byAuth: Record<string, Array<keyof Draft>> = { client_secret_basic: ['clientSecret'], client_secret_post: ['clientSecret'], private_key_jwt: ['privateKey'], tls_client_auth: ['tlsCert', 'tlsKey'] };
  return pick(['tokenUrl', 'clientId', 'clientAuth', ...(byAuth[draft.clientAuth] ?? []), 'scope']);
}

const REFERENCE_HELP = '(a reference: ${secret:NAME} or ${env:NAME})';

export function CredentialForm({ ask }: { ask: (confirmation: Confirmation) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const field = (name: keyof Draft, label: string, options: { required?: boolean; placeholder?: string; kind?: 'days' | 'time' } = {}) => {
    const common = { id: `credential-${name}`, required: options.required ?? false, value: draft[name], onInput: (event: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [name]: event.currentTarget.value }) };
    return (
      <>
        <label for={`credential-${name}`}>{label}</label>
        {options.kind === 'time' ? <input type="datetime-local" {...common} /> : <input type="text" inputMode={options.kind === 'days' ? 'numeric' : undefined} pattern={options.kind === 'days' ? '[1-9][0-9]{0,3}' : undefined} placeholder={options.placeholder} {...common} />}
      </>
    );
  };
  const choice = (name: 'kind' | 'scheme' | 'clientAuth', label: string, values: string[]) => (
    <>
      <label for={`credential-${name}`}>{label}</label>
      <select id={`credential-${name}`} value={draft[name]} onChange={(event) => setDraft({ ...draft, [name]: event.currentTarget.value })}>
        {values.map((value) => (
          <option value={value}>{value}</option>
        ))}
      </select>
    </>
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const settings = settingsOf(draft);
    const expiresAt = localToRfc3339(draft.expiresAt);
    const body = {
      name: draft.name.trim(),
      kind: draft.kind,
      owner: draft.owner.trim(),
      settings,
      ...(draft.consumerId ? { consumerId: draft.consumerId } : {}),
      ...(draft.maxAgeDays ? { maxAgeDays: Number(draft.maxAgeDays) } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      ...(draft.disableIfUnusedDays ? { disableIfUnusedDays: Number(draft.disableIfUnusedDays) } : {}),
    };
    const references = Object.entries(settings).filter(([, value]) => /^\$\{(env|secret):/.test(value));
    ask({
      title: 'Create an upstream credential',
      summary: (
        <>
          <p>
            Create the {body.kind} credential <strong>{body.name}</strong>, owned by {body.owner}
            {body.consumerId ? <> for the consumer <code>{body.consumerId}</code></> : ''}
            {body.maxAgeDays ? `, expiring after ${body.maxAgeDays} days` : ''}
            {body.expiresAt ? `, expiring at ${formatTime(body.expiresAt)} at the latest` : ''}
            {body.disableIfUnusedDays ? `, disabled after ${body.disableIfUnusedDays} days unused` : ''}. Routes use it by name (upstream-auth).
          </p>
          <p>Secrets by reference, resolved by the gateway when it uses them (no value is sent now):</p>
          <ul>
            {references.map(([name, value]) => (
              <li>
                {name}: <code>{value}</code>
              </li>
            ))}
          </ul>
        </>
      ),
      action: 'Create credential',
      run: async () => {
        await call('POST', '/v1/credentials', body);
        setDraft(EMPTY);
      },
    });
  };
  return (
    <form class="grid" onSubmit={submit} aria-labelledby="credential-create-title">
      <h2 id="credential-create-title">Create an upstream credential</h2>
      {field('name', 'Name (a-z, 0-9, - and _)', { required: true })}
      {choice('kind', 'Kind', ['static', 'client_credentials', 'refresh_token'])}
      {field('owner', 'Owner (a team or an address)', { required: true })}
      <ConsumerPicker id="credential-consumer" label="Consumer (optional)" optional value={draft.consumerId} onChange={(consumerId) => setDraft({ ...draft, consumerId })} />
      {draft.kind === 'static' && (
        <>
          {choice('scheme', 'Scheme', ['bearer', 'basic', 'header'])}
          {field('secret', `Token, password or header value ${REFERENCE_HELP}`, { required: true, placeholder: '${secret:partner-token}' })}
          {draft.scheme === 'basic' && field('username', 'User name', { required: true })}
          {draft.scheme === 'header' && field('header', 'Header name', { required: true })}
        </>
      )}
      {draft.kind !== 'static' && (
        <>
          {field('tokenUrl', 'Token endpoint (https)', { required: true })}
          {field('clientId', 'Client id', { required: true })}
          {choice('clientAuth', 'Client authentication', ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth'])}
          {draft.clientAuth.startsWith('client_secret') && field('clientSecret', `Client secret ${REFERENCE_HELP}`, { required: true })}
          {draft.clientAuth === 'private_key_jwt' && field('privateKey', `Private key (PKCS#8 PEM) ${REFERENCE_HELP}`, { required: true })}
          {draft.clientAuth === 'tls_client_auth' && field('tlsCert', `Client certificate (PEM) ${REFERENCE_HELP}`, { required: true })}
          {draft.clientAuth === 'tls_client_auth' && field('tlsKey', `Client certificate's key (PEM) ${REFERENCE_HELP}`, { required: true })}
          {field('scope', 'Scopes to request (separated by spaces)')}
        </>
      )}
      {field('maxAgeDays', 'Expires after (days; empty: the configured default)', { kind: 'days' })}
      {field('expiresAt', 'Expires at (your time; optional, e.g. the contract end)', { kind: 'time' })}
      {field('disableIfUnusedDays', 'Disabled when unused for (days; optional)', { kind: 'days' })}
      <button type="submit" class="primary">
        Create credential
      </button>
    </form>
  );
}
