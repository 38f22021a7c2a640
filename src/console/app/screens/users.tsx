/**
 * Admin users, roles and admin tokens: users (paginated) with their status, roles and second
 * factors; invite (the invitation code shown once), disable or enable, change roles, reset a
 * user's second factors (step-up), a password-reset code; the roles (roles.tsx: custom roles
 * edited from the permission table); admin tokens (paginated): create one for yourself (shown
 * once), rotate one of yours with a grace period (the new one shown once), revoke.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, type Session } from '../api.js';
import { formatTime, PagedTable, ShownOnce, useChanges } from '../ui.js';
import { Roles } from './roles.js';

interface AdminUser {
  id: string;
  name: string;
  email: string;
  status: 'invited' | 'active' | 'disabled';
  roles: string[];
  createdAt: string;
}

interface AdminToken {
  id: string;
  name: string;
  userId: string;
  permissions: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string;
  lastUsedAt: string | null;
}

interface MfaStatus {
  totp: 'none' | 'pending' | 'active';
  passkeys: number;
  recoveryCodesLeft: number;
}

const words = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

function UserMfa({ user }: { user: AdminUser }) {
  const [status, setStatus] = useState<MfaStatus | null>(null);
  useEffect(() => {
    call<MfaStatus>('GET', `/v1/users/${user.id}/mfa`).then(setStatus, () => setStatus(null));
  }, [user.id]);
  if (!status) return <>…</>;
  const factors = [status.totp === 'active' ? 'TOTP' : status.totp === 'pending' ? 'TOTP (pending)' : '', status.passkeys ? `${status.passkeys} passkey(s)` : ''].filter(Boolean);
  return <span class={factors.length ? undefined : 'status-disabled'}>{factors.length ? `${factors.join(', ')}; ${status.recoveryCodesLeft} recovery codes` : 'none'}</span>;
}

export function Users({ session }: { session: Session }) {
  const { ask: setPending, reload, dialog } = useChanges();
  const [shown, setShown] = useState<{ label: string; value: string } | null>(null);
  const [invite, setInvite] = useState({ name: '', email: '', roles: 'viewer' });
  const [token, setToken] = useState({ name: '', permissions: '', days: '30' });
  const [tokenGrace, setTokenGrace] = useState('3600');
  const write = can(session, 'users:write');

  const act = (title: string, summary: string, action: string, run: () => Promise<unknown>, danger = false) => setPending({ title, summary: <p>{summary}</p>, action, run, danger });
  const inviteUser = (event: Event) => {
    event.preventDefault();
    const body = { name: invite.name, email: invite.email, roles: words(invite.roles) };
    act('Invite an admin user', `Invite ${body.name} <${body.email}> with the roles ${body.roles.join(', ')}. The one-time invitation code is shown once: hand it over yourself.`, 'Invite', async () => {
      const answer = await call<{ invitation: { code: string; expiresAt: string } }>('POST', '/v1/users', body);
      setShown({ label: `Invitation code for ${body.name} (until ${formatTime(answer.invitation.expiresAt)})`, value: answer.invitation.code });
    });
  };
  const changeRoles = (user: AdminUser) => {
    const next = prompt(`New roles of ${user.name} (separated by spaces)`, user.roles.join(' '));
    if (next === null) return;
    act('Change roles', `Replace the roles of ${user.name} (${user.roles.join(', ')}) with ${words(next).join(', ')}.`, 'Change roles', () => call('POST', `/v1/users/${user.id}/roles`, { roles: words(next) }));
  };
  const createToken = (event: Event) => {
    event.preventDefault();
    const body = { name: token.name, permissions: words(token.permissions), expiresInDays: Number(token.days) };
    act('Create an admin token', `Create the token ${body.name} for yourself with ${body.permissions.join(', ')}, valid ${body.expiresInDays} days. It is shown once.`, 'Create token', async () => {
      const answer = await call<{ secret: string; adminToken: AdminToken }>('POST', '/v1/admin-tokens', body);
      setShown({ label: `Admin token ${answer.adminToken.name}`, value: answer.secret });
    });
  };

  const rotateToken = (item: AdminToken) =>
    act('Rotate an admin token', `Replace the admin token ${item.name} with a new one (shown once); the old one keeps working for ${tokenGrace} seconds, then answers 401.`, 'Rotate token', async () => {
      const answer = await call<{ secret: string; adminToken: AdminToken }>('POST', `/v1/admin-tokens/${encodeURIComponent(item.id)}/rotate`, { gracePeriodSeconds: Number(tokenGrace) });
      setShown({ label: `Admin token ${answer.adminToken.name} (rotated)`, value: answer.secret });
    });

  return (
    <>
      <h1>Admin users, roles and tokens</h1>
      {shown && <ShownOnce label={shown.label} value={shown.value} onDone={() => setShown(null)} />}
      {write && (
        <form class="grid" onSubmit={inviteUser} aria-labelledby="invite-title">
          <h2 id="invite-title">Invite an admin user</h2>
          <label for="invite-name">Name</label>
          <input id="invite-name" required value={invite.name} onInput={(event) => setInvite({ ...invite, name: event.currentTarget.value })} />
          <label for="invite-email">E-mail</label>
          <input id="invite-email" type="email" required value={invite.email} onInput={(event) => setInvite({ ...invite, email: event.currentTarget.value })} />
          <label for="invite-roles">Roles (separated by spaces)</label>
          <input id="invite-roles" required value={invite.roles} onInput={(event) => setInvite({ ...invite, roles: event.currentTarget.value })} />
          <button type="submit" class="primary">
            Invite user
          </button>
        </form>
      )}
      <PagedTable<AdminUser>
        caption="Admin users"
        path="/v1/users"
        reload={reload}
        columns={[
          { label: 'Name', render: (user) => user.name },
          { label: 'E-mail', render: (user) => user.email },
          { label: 'Status', render: (user) => <span class={`status-${user.status}`}>{user.status}</span> },
          { label: 'Roles', render: (user) => user.roles.join(', ') },
          { label: 'Second factors', render: (user) => <UserMfa user={user} /> },
          {
            label: 'Actions',
            render: (user) => (
              <span class="row-actions">
                {write && user.status !== 'invited' && (
                  <button type="button" onClick={() => act(user.status === 'active' ? 'Disable an admin user' : 'Enable an admin user', user.status === 'active' ? `Disable ${user.name}: their sessions and tokens stop working now.` : `Enable ${user.name} again.`, user.status === 'active' ? 'Disable' : 'Enable', () => call('POST', `/v1/users/${user.id}/${user.status === 'active' ? 'disable' : 'enable'}`, {}), user.status === 'active')} aria-label={`${user.status === 'active' ? 'Disable' : 'Enable'} ${user.name}`}>
                    {user.status === 'active' ? 'Disable' : 'Enable'}
                  </button>
                )}
                {write && (
                  <button type="button" onClick={() => changeRoles(user)} aria-label={`Change the roles of ${user.name}`}>
                    Roles…
                  </button>
                )}
                {write && user.status === 'active' && (
                  <button type="button" onClick={() => act('Password-reset code', `Make a one-time password-reset code for ${user.name} (shown once); their password works until they use it.`, 'Make code', async () => setShown({ label: `Password-reset code for ${user.name}`, value: (await call<{ code: string }>('POST', `/v1/users/${user.id}/reset-password`, {})).code }))} aria-label={`Password reset for ${user.name}`}>
                    Password reset
                  </button>
                )}
                {can(session, 'mfa:reset') && user.id !== session.userId && (
                  <button type="button" class="danger" onClick={() => act('Reset second factors', `Remove every second factor of ${user.name} and end their sessions; they enrol again at their next login.`, 'Reset second factors', () => call('POST', `/v1/users/${user.id}/mfa/reset`, {}), true)} aria-label={`Reset the second factors of ${user.name}`}>
                    Reset MFA
                  </button>
                )}
              </span>
            ),
          },
        ]}
      />
      {can(session, 'roles:read') && <Roles session={session} reload={reload} ask={setPending} />}
      {can(session, 'admin-tokens:write') && (
        <form class="grid" onSubmit={createToken} aria-labelledby="token-title">
          <h2 id="token-title">Create an admin token for yourself</h2>
          <label for="token-name">Name</label>
          <input id="token-name" required value={token.name} onInput={(event) => setToken({ ...token, name: event.currentTarget.value })} />
          <label for="token-permissions">Permissions (of yours, separated by spaces)</label>
          <input id="token-permissions" required value={token.permissions} onInput={(event) => setToken({ ...token, permissions: event.currentTarget.value })} />
          <label for="token-days">Valid for (days)</label>
          <input id="token-days" type="number" min="1" required value={token.days} onInput={(event) => setToken({ ...token, days: event.currentTarget.value })} />
          <button type="submit" class="primary">
            Create token
          </button>
        </form>
      )}
      {can(session, 'admin-tokens:write') && (
        <p>
          <label for="token-grace">Grace period when rotating a token (seconds)</label> <input id="token-grace" type="number" min="0" value={tokenGrace} onInput={(event) => setTokenGrace(event.currentTarget.value)} />
        </p>
      )}
      {can(session, 'admin-tokens:read') && (
        <PagedTable<AdminToken>
          caption="Admin tokens"
          path="/v1/admin-tokens"
          reload={reload}
          columns={[
            { label: 'Name', render: (item) => item.name },
            { label: 'User', render: (item) => <code>{item.userId}</code> },
            { label: 'Status', render: (item) => <span class={`status-${item.status}`}>{item.status}</span> },
            { label: 'Permissions', render: (item) => <code>{item.permissions.join(' ')}</code> },
            { label: 'Expires', render: (item) => formatTime(item.expiresAt) },
            { label: 'Last used', render: (item) => formatTime(item.lastUsedAt) },
            {
              label: 'Actions',
              render: (item) =>
                item.status === 'active' && can(session, 'admin-tokens:write') ? (
                  <span class="row-actions">
                    {item.userId === session.userId && (
                      <button type="button" onClick={() => rotateToken(item)} aria-label={`Rotate the token ${item.name}`}>
                        Rotate
                      </button>
                    )}
                    <button type="button" class="danger" onClick={() => act('Revoke an admin token', `Revoke the admin token ${item.name} now; whatever uses it gets 401 from now on.`, 'Revoke token', () => call('POST', `/v1/admin-tokens/${item.id}/revoke`, {}), true)} aria-label={`Revoke the token ${item.name}`}>
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
      {dialog}
    </>
  );
}
