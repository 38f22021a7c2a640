/**
 * The account's passkeys (docs/admin.md#passkeys-webauthn): the list (GET /v1/mfa/webauthn),
 * registering one on this device and removing one, each behind the confirmation dialog. A new
 * passkey is two calls around navigator.credentials.create (options, then the attestation with a
 * name); registering while another factor exists, and removing, need a fresh second factor, which
 * the dialog asks for on 403 admin.step_up_required. Both answers carry a new session (adopted);
 * a first factor answers 10 recovery codes, shown once.
 */
import { useEffect, useState } from 'preact/hooks';
import { adoptSession, call, type Session } from '../api.js';
import { createPasskey, passkeysSupported } from '../passkeys.js';
import { formatTime, ProblemBox, type Confirmation } from '../ui.js';

interface Passkey {
  id: string;
  name: string;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export function Passkeys({ reload, ask, onCodes }: { reload: number; ask: (confirmation: Confirmation) => void; onCodes: (codes: string[]) => void }) {
  const [items, setItems] = useState<Passkey[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  useEffect(() => {
    call<{ items: Passkey[] }>('GET', '/v1/mfa/webauthn').then((answer) => (setItems(answer.items), setError(null)), setError);
  }, [reload]);

  const register = (event: Event) => {
    event.preventDefault();
    const label = name.trim();
    ask({
      title: 'Register a passkey',
      summary: (
        <p>
          Make a passkey named <strong>{label}</strong> on this device (your browser asks the authenticator). From then on it signs you in as your second factor, after your password, and confirms changes.
        </p>
      ),
      action: 'Register passkey',
      run: async () => {
        const { publicKey } = await call<{ publicKey: unknown }>('POST', '/v1/mfa/webauthn/registration/options', {});
        const answer = await call<{ recoveryCodes: string[]; session: Session }>('POST', '/v1/mfa/webauthn/registration', { name: label, response: await createPasskey(publicKey) });
        adoptSession(answer.session);
        setName('');
        if (answer.recoveryCodes.length > 0) onCodes(answer.recoveryCodes);
      },
    });
  };
  const remove = (item: Passkey) =>
    ask({
      title: 'Remove a passkey',
      summary: (
        <p>
          Remove the passkey <strong>{item.name}</strong> (registered {formatTime(item.createdAt)}): it no longer signs you in. Remove it from the authenticator yourself.
        </p>
      ),
      action: 'Remove passkey',
      danger: true,
      run: async () => adoptSession((await call<{ session: Session }>('DELETE', `/v1/mfa/webauthn/${encodeURIComponent(item.id)}`)).session),
    });

  return (
    <section aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <ProblemBox error={error} />
      {items && (
        <table>
          <caption>Your passkeys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Registered</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr>
                <td data-label="Name">{item.name}</td>
                <td data-label="Registered">{formatTime(item.createdAt)}</td>
                <td data-label="Last used">{formatTime(item.lastUsedAt)}</td>
                <td data-label="Actions">
                  <button type="button" class="danger" onClick={() => remove(item)} aria-label={`Remove the passkey ${item.name}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {items.length === 0 && (
              <tr>
                <td colSpan={4}>No passkey yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {passkeysSupported() ? (
        <form class="inline" onSubmit={register}>
          <label for="passkey-name">New passkey’s name (which device or key)</label>
          <input id="passkey-name" required maxLength={64} value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <button type="submit" class="primary">
            Register a passkey
          </button>
        </form>
      ) : (
        <p>This browser cannot make passkeys from the admin API’s options (it lacks WebAuthn Level 3’s JSON methods).</p>
      )}
    </section>
  );
}
