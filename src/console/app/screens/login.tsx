/**
 * Sign-in: name and password, then the second factor the account has (an authenticator code, a
 * passkey or a recovery code). POST /v1/login sets the HttpOnly session cookie; the answer's CSRF
 * token goes with every change after that. A passkey is the second factor as the API defines it:
 * POST /v1/login/webauthn/options with name and password, navigator.credentials.get, then
 * POST /v1/login with name, password and the assertion as `webauthn`.
 */
import { useState } from 'preact/hooks';
import { adoptSession, call, Problem, type Session } from '../api.js';
import { getAssertion, passkeysSupported } from '../passkeys.js';
import { ProblemBox } from '../ui.js';

export function Login() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [askFactor, setAskFactor] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const factor = !askFactor || !code.trim() ? {} : useRecovery ? { recoveryCode: code.trim() } : { code: code.trim() };
      adoptSession(await call<Session>('POST', '/v1/login', { name, password, ...factor }));
    } catch (problem) {
      if (problem instanceof Problem && problem.code === 'admin.mfa_required' && !askFactor) {
        setAskFactor(true);
        setError(null);
      } else setError(problem);
    } finally {
      setBusy(false);
    }
  };

  const withPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      const { publicKey } = await call<{ publicKey: unknown }>('POST', '/v1/login/webauthn/options', { name, password });
      adoptSession(await call<Session>('POST', '/v1/login', { name, password, webauthn: await getAssertion(publicKey) }));
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>Portcullis console</h1>
      <form onSubmit={submit} aria-describedby="login-help">
        <p id="login-help">Sign in with your admin account and its second factor.</p>
        <label for="login-name">Name</label>
        <input id="login-name" name="username" autocomplete="username" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" type="password" name="password" autocomplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        {askFactor && (
          <>
            <label for="login-code">{useRecovery ? 'Recovery code' : 'Authenticator code'}</label>
            <input id="login-code" autocomplete="one-time-code" inputMode={useRecovery ? 'text' : 'numeric'} value={code} onInput={(event) => setCode(event.currentTarget.value)} />
            <button type="button" class="link" onClick={() => setUseRecovery(!useRecovery)}>
              {useRecovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
            </button>
          </>
        )}
        <ProblemBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {askFactor ? 'Verify and sign in' : 'Sign in'}
        </button>
        {askFactor && passkeysSupported() && (
          <button type="button" disabled={busy} onClick={withPasskey}>
            Sign in with a passkey
          </button>
        )}
      </form>
    </main>
  );
}
