/**
 * The console's shell: reads the session (GET /v1/session; none → the sign-in form), then shows
 * the navigation the session's permissions allow and the screen named by the location hash
 * (#/overview, #/consumers, #/consumers/<id>, #/routes, #/certificates, #/account). Hash routes keep every screen on the one
 * index.html the admin listener serves.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adoptSession, call, can, Problem, useSession, whenSessionChanged, whenSessionLost, type Session } from './api.js';
import { Account } from './screens/account.js';
import { Alerts } from './screens/alerts.js';
import { Audit } from './screens/audit.js';
import { Certificates } from './screens/certificates.js';
import { ConsumerDetail, Consumers } from './screens/consumers.js';
import { Login } from './screens/login.js';
import { OAuth } from './screens/oauth.js';
import { Overrides } from './screens/overrides.js';
import { Overview } from './screens/overview.js';
import { Routes } from './screens/routes.js';
import { Secrets } from './screens/secrets.js';
import { Users } from './screens/users.js';
import { ProblemBox } from './ui.js';
import './styles.css';

interface Screen {
  path: string;
  label: string;
  /** Shown when the session holds this permission (undefined: to every signed-in user). */
  permission?: string;
}

const SCREENS: Screen[] = [
  { path: 'overview', label: 'Overview' },
  { path: 'consumers', label: 'Consumers and keys', permission: 'consumers:read' },
  { path: 'audit', label: 'Audit trail', permission: 'audit:read' },
  { path: 'alerts', label: 'Alerts', permission: 'alerts:read' },
  { path: 'users', label: 'Admin users', permission: 'users:read' },
  { path: 'oauth', label: 'OAuth', permission: 'oauth-clients:read' },
  { path: 'certificates', label: 'Certificates', permission: 'certificates:read' },
  { path: 'secrets', label: 'Credentials and secrets', permission: 'credentials:read' },
  { path: 'routes', label: 'Routes', permission: 'inventory:read' },
  { path: 'overrides', label: 'Rate limits', permission: 'rate-limit-overrides:read' },
  { path: 'account', label: 'Your account' },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const hash = useHash();
  useEffect(() => {
    whenSessionChanged(setSession);
    whenSessionLost(() => setSession(null));
    call<Session>('GET', '/v1/session').then(adoptSession, (problem) => (problem instanceof Problem && problem.body.status === 401 ? setSession(null) : setError(problem)));
  }, []);
  if (error) return <ProblemBox error={error} />;
  if (session === undefined) return <p>Loading…</p>;
  if (session === null) return <Login />;

  const [first, id] = hash.replace(/^#\/?/, '').split('/');
  const screen = first || 'overview';
  const visible = SCREENS.filter((item) => !item.permission || can(session, item.permission));
  const current = session.enrolOnly ? 'account' : screen;
  const signedOut = () => {
    useSession(null);
    setSession(null);
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header>
        <span class="brand">Portcullis</span>
        <nav aria-label="Console">
          <ul>
            {visible.map((item) => (
              <li>
                <a href={`#/${item.path}`} aria-current={current === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">{session.name}</span>
      </header>
      <main id="main" tabIndex={-1}>
        {current === 'overview' && <Overview session={session} />}
        {current === 'consumers' && !id && <Consumers session={session} />}
        {current === 'consumers' && id && <ConsumerDetail session={session} id={decodeURIComponent(id)} />}
        {current === 'audit' && <Audit session={session} />}
        {current === 'alerts' && <Alerts session={session} />}
        {current === 'users' && <Users session={session} />}
        {current === 'oauth' && <OAuth session={session} />}
        {current === 'secrets' && <Secrets session={session} />}
        {current === 'overrides' && <Overrides session={session} />}
        {current === 'certificates' && <Certificates session={session} />}
        {current === 'routes' && <Routes session={session} />}
        {current === 'account' && <Account session={session} onSignedOut={signedOut} />}
        {!SCREENS.some((item) => item.path === current) && <p>No such screen: {current}.</p>}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
