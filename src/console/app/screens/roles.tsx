/**
 * Roles (docs/admin.md#roles-and-permissions): the built-in and custom roles with their
 * permissions (GET /v1/roles); with roles:write, a custom role made or edited from the permission
 * table (GET /v1/permissions; POST /v1/roles, POST /v1/roles/:name: step-up, and only permissions
 * the editor holds) and deleted (DELETE /v1/roles/:name: refused while a user holds it); and the
 * RBAC explain (GET /v1/rbac/explain, users:read): would this user or token be allowed that call.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, can, withQuery, type Session } from '../api.js';
import { ProblemBox, type Confirmation } from '../ui.js';

export interface Role {
  name: string;
  builtIn: boolean;
  description: string;
  permissions: string[];
}

interface Permission {
  name: string;
  description: string;
}

interface Draft {
  /** The role being edited; undefined: a new one. */
  editing?: string;
  name: string;
  description: string;
  permissions: string[];
}

const NEW: Draft = { name: '', description: '', permissions: [] };

export function Roles({ session, reload, ask }: { session: Session; reload: number; ask: (confirmation: Confirmation) => void }) {
  const [roles, setRoles] = useState<Role[] | null>(null);
  const [permissions, setPermissions] = useState<Permission[] | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const write = can(session, 'roles:write');
  useEffect(() => {
    call<{ items: Role[] }>('GET', '/v1/roles').then((answer) => setRoles(answer.items), setError);
    setDraft(null);
  }, [reload]);
  useEffect(() => {
    if (write) call<{ items: Permission[] }>('GET', '/v1/permissions').then((answer) => setPermissions(answer.items), setError);
  }, []);

  const save = (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    const before = roles?.find((role) => role.name === draft.editing)?.permissions ?? [];
    const added = draft.permissions.filter((name) => !before.includes(name));
    const removed = before.filter((name) => !draft.permissions.includes(name));
    const body = { description: draft.description, permissions: draft.permissions };
    ask({
      title: draft.editing ? 'Change a custom role' : 'Create a custom role',
      summary: draft.editing ? (
        <p>
          Change the role <strong>{draft.editing}</strong>: add {added.length ? <code>{added.join(' ')}</code> : 'nothing'}; remove {removed.length ? <code>{removed.join(' ')}</code> : 'nothing'}. Every user holding it gets the new permissions at their next call.
        </p>
      ) : (
        <p>
          Create the role <strong>{draft.name}</strong> with {draft.permissions.length} permissions: <code>{draft.permissions.join(' ') || 'none'}</code>.
        </p>
      ),
      action: draft.editing ? 'Change role' : 'Create role',
      run: () => (draft.editing ? call('POST', `/v1/roles/${encodeURIComponent(draft.editing)}`, body) : call('POST', '/v1/roles', { name: draft.name.trim(), ...body })),
    });
  };
  const remove = (role: Role) =>
    ask({
      title: 'Delete a custom role',
      summary: (
        <p>
          Delete the role <strong>{role.name}</strong> ({role.permissions.length} permissions). The API refuses while a user holds it.
        </p>
      ),
      action: 'Delete role',
      danger: true,
      run: () => call('DELETE', `/v1/roles/${encodeURIComponent(role.name)}`),
    });
  const toggle = (name: string, on: boolean) => draft && setDraft({ ...draft, permissions: on ? [...draft.permissions, name].sort() : draft.permissions.filter((item) => item !== name) });

  return (
    <section aria-labelledby="roles-title">
      <h2 id="roles-title">Roles</h2>
      <ProblemBox error={error} />
      {roles && (
        <table>
          <caption>Roles</caption>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Kind</th>
              <th scope="col">Description</th>
              <th scope="col">Permissions</th>
              {write && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {roles.map((role) => (
              <tr>
                <td data-label="Role">{role.name}</td>
                <td data-label="Kind">{role.builtIn ? 'built-in' : 'custom'}</td>
                <td data-label="Description">{role.description}</td>
                <td data-label="Permissions">
                  <code>{role.permissions.join(' ')}</code>
                </td>
                {write && (
                  <td data-label="Actions">
                    {role.builtIn ? (
                      '—'
                    ) : (
                      <span class="row-actions">
                        <button type="button" onClick={() => setDraft({ editing: role.name, name: role.name, description: role.description, permissions: [...role.permissions] })} aria-label={`Edit the role ${role.name}`}>
                          Edit
                        </button>
                        <button type="button" class="danger" onClick={() => remove(role)} aria-label={`Delete the role ${role.name}`}>
                          Delete
                        </button>
                      </span>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {write && !draft && (
        <button type="button" onClick={() => setDraft(NEW)}>
          New custom role
        </button>
      )}
      {write && draft && permissions && (
        <form onSubmit={save} aria-labelledby="role-edit-title">
          <h3 id="role-edit-title">{draft.editing ? `Edit the role ${draft.editing}` : 'New custom role'}</h3>
          {!draft.editing && (
            <>
              <label for="role-name">Role name (a-z, 0-9 and -)</label>
              <input id="role-name" required value={draft.name} onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })} />
            </>
          )}
          <label for="role-description">Description</label>
          <input id="role-description" maxLength={200} value={draft.description} onInput={(event) => setDraft({ ...draft, description: event.currentTarget.value })} />
          <fieldset class="permissions">
            <legend>Permissions (only those you hold can be granted)</legend>
            {permissions.map((permission) => (
              <div class="permission">
                <input id={`permission-${permission.name}`} type="checkbox" checked={draft.permissions.includes(permission.name)} disabled={!can(session, permission.name)} onChange={(event) => toggle(permission.name, event.currentTarget.checked)} />
                <label for={`permission-${permission.name}`}>
                  <code>{permission.name}</code> <span class="muted">{permission.description}</span>
                </label>
              </div>
            ))}
          </fieldset>
          <div class="actions">
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit" class="primary">
              {draft.editing ? 'Save role' : 'Create role'}
            </button>
          </div>
        </form>
      )}
      {can(session, 'users:read') && <Explain />}
    </section>
  );
}

interface Explanation {
  decision: 'allow' | 'deny';
  subject: { kind: string; name: string };
  route: { method: string; path: string; permission: string } | null;
  reasons: string[];
}

/** GET /v1/rbac/explain: a read, so no confirmation. */
function Explain() {
  const [query, setQuery] = useState({ as: '', method: 'POST', path: '/v1/consumers' });
  const [answer, setAnswer] = useState<Explanation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ask = async (event: Event) => {
    event.preventDefault();
    try {
      setAnswer(await call<Explanation>('GET', withQuery('/v1/rbac/explain', query)));
      setError(null);
    } catch (problem) {
      setAnswer(null);
      setError(problem);
    }
  };
  return (
    <>
    <form class="filters" onSubmit={ask} aria-labelledby="explain-title">
      <h3 id="explain-title">Would they be allowed? (RBAC explain)</h3>
      <p>
        <label for="explain-as">User or admin token (name, e-mail or id)</label>
        <input id="explain-as" required value={query.as} onInput={(event) => setQuery({ ...query, as: event.currentTarget.value })} />
      </p>
      <p>
        <label for="explain-method">Method</label>
        <input id="explain-method" required size={7} value={query.method} onInput={(event) => setQuery({ ...query, method: event.currentTarget.value.toUpperCase() })} />
      </p>
      <p>
        <label for="explain-path">Admin API path</label>
        <input id="explain-path" required value={query.path} onInput={(event) => setQuery({ ...query, path: event.currentTarget.value })} />
      </p>
      <p class="filter-actions">
        <button type="submit">Explain</button>
      </p>
    </form>
      <ProblemBox error={error} />
      {answer && (
        <div role="status" class={answer.decision === 'allow' ? 'verified' : 'problem'}>
          <p>
            <strong>{answer.decision === 'allow' ? 'Allowed' : 'Denied'}</strong>: {answer.subject.name} ({answer.subject.kind}) {answer.route ? `${answer.route.method} ${answer.route.path}, which needs ${answer.route.permission}` : 'no such route'}.
          </p>
          <ul>
            {answer.reasons.map((reason) => (
              <li>{reason}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
