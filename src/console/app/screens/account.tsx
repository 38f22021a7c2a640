/**
 * The signed-in user's own account: second factors (TOTP enrolment with its QR code, passkeys, new
 * recovery codes), the live sessions with sign-out of one or of every other, and sign-out.
 */
import { useEffect, useState } from 'preact/hooks';
import { adoptSession, call, type Session } from '../api.js';
import { ConfirmDialog, formatTime, ProblemBox, ShownOnce, type Confirmation } from '../ui.js';
import { Passkeys } from './passkeys.js';

interface MfaStatus {
  totp: 'none' | 'pending' | 'active';
  passkeys: number;
  recoveryCodesLeft: number;
}

interface SessionItem {
  id: string;
  method: string;
  createdAt: string;
  lastSeenAt?: string;
  expiresAt: string;
  ip?: string | null;
  userAgent?: string | null;
  current?: boolean;
}

interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCodeDataUrl: string;
}

export function Account({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [mfa, setMfa] = useState<MfaStatus | null>(null);
  const [sessions, setSessions] = useState<SessionItem[] | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [pending, setPending] = useState<Confirmation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    call<MfaStatus>('GET', '/v1/mfa').then(setMfa, setError);
    call<{ items: SessionItem[] }>('GET', '/v1/sessions').then((answer) => setSessions(answer.items), setError);
  }, [session.id, reload]);

  const startTotp = async () => {
    try {
      setEnrolment(await call<Enrolment>('POST', '/v1/mfa/totp', {}));
      setError(null);
    } catch (problem) {
      setError(problem);
    }
  };
  const confirmTotp = async (event: Event) => {
    event.preventDefault();
    try {
      const answer = await call<{ recoveryCodes: string[]; session: Session }>('POST', '/v1/mfa/totp/confirm', { code: code.trim() });
      setEnrolment(null);
      setCodes(answer.recoveryCodes);
      adoptSession(answer.session);
      setReload(reload + 1);
    } catch (problem) {
      setError(problem);
    }
  };
  const newCodes = () =>
    setPending({
      title: 'Replace your recovery codes',
      summary: <p>Make 10 new recovery codes. The ones you have stop working at once; the new ones are shown once.</p>,
      action: 'Replace recovery codes',
      run: async () => setCodes((await call<{ recoveryCodes: string[] }>('POST', '/v1/mfa/recovery-codes', {})).recoveryCodes),
    });
  const endOthers = () =>
    setPending({
      title: 'Sign out everywhere else',
      summary: <p>End every session of yours but this one (other browsers, the CLI’s login sessions).</p>,
      action: 'Sign out other sessions',
      danger: true,
      run: () => call('POST', '/v1/sessions/revoke-others', {}),
    });
  const endOne = (item: SessionItem) =>
    setPending({
      title: 'End a session',
      summary: <p>End the session opened {formatTime(item.createdAt)}{item.ip ? ` from ${item.ip}` : ''}.</p>,
      action: 'End session',
      danger: true,
      run: () => call('DELETE', `/v1/sessions/${item.id}`),
    });
  const signOut = async () => {
    await call('POST', '/v1/logout', {}).catch(() => undefined);
    onSignedOut();
  };

  return (
    <>
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{session.name}</strong> ({session.method}) since {formatTime(session.createdAt)}; this session ends {formatTime(session.expiresAt)}.
      </p>
      <ProblemBox error={error} />
      {session.enrolOnly && (
        <p class="problem" role="alert">
          Your account needs a second factor before you can do anything else: enrol an authenticator app or register a passkey below.
        </p>
      )}
      <section aria-labelledby="mfa-title">
        <h2 id="mfa-title">Second factors</h2>
        {mfa && (
          <ul>
            <li>Authenticator app (TOTP): {mfa.totp}</li>
            <li>Passkeys: {mfa.passkeys}</li>
            <li>Recovery codes left: {mfa.recoveryCodesLeft}</li>
          </ul>
        )}
        {mfa && mfa.totp !== 'active' && !enrolment && (
          <button type="button" class="primary" onClick={startTotp}>
            Set up an authenticator app
          </button>
        )}
        {enrolment && (
          <form onSubmit={confirmTotp} class="enrol">
            <p>Scan this code with your authenticator app, or type the secret into it.</p>
            <img src={enrolment.qrCodeDataUrl} alt="QR code of your new TOTP secret" width={200} height={200} />
            <p>
              Secret: <code>{enrolment.secret}</code>
            </p>
            <label for="totp-code">The code your app shows now</label>
            <input id="totp-code" autocomplete="one-time-code" inputMode="numeric" required value={code} onInput={(event) => setCode(event.currentTarget.value)} />
            <button type="submit" class="primary">
              Confirm
            </button>
          </form>
        )}
        {codes && <ShownOnce label="Your recovery codes" value={codes.join('\n')} onDone={() => setCodes(null)} />}
        {mfa && (mfa.totp === 'active' || mfa.passkeys > 0) && (
          <button type="button" onClick={newCodes}>
            Replace recovery codes
          </button>
        )}
      </section>
      <Passkeys reload={reload} ask={setPending} onCodes={setCodes} />
      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Your sessions</h2>
        <table>
          <caption>Your live sessions</caption>
          <thead>
            <tr>
              <th scope="col">Opened</th>
              <th scope="col">How</th>
              <th scope="col">From</th>
              <th scope="col">Ends</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sessions?.map((item) => (
              <tr>
                <td data-label="Opened">{formatTime(item.createdAt)}</td>
                <td data-label="How">{item.method}</td>
                <td data-label="From">{item.ip ?? '—'}</td>
                <td data-label="Ends">{formatTime(item.expiresAt)}</td>
                <td data-label="Actions">
                  {item.current ? (
                    'this session'
                  ) : (
                    <button type="button" onClick={() => endOne(item)}>
                      End
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <button type="button" onClick={endOthers}>
            Sign out everywhere else
          </button>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </section>
      <ConfirmDialog
        pending={pending}
        onClose={(done) => {
          setPending(null);
          if (done) setReload(reload + 1);
        }}
      />
    </>
  );
}
