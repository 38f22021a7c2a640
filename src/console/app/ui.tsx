/**
 * Shared pieces of the console: the problem box (RFC 9457 title, detail, code and its
 * documentation link), the confirmation dialog every change goes through (a native <dialog>:
 * focus is trapped and Escape cancels), the cursor-paginated table and the copy button.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { adoptSession, call, Problem, type Page, type Session } from './api.js';
import { passkeysSupported, stepUpWithPasskey } from './passkeys.js';

export function ProblemBox({ error }: { error: unknown }) {
  if (!error) return null;
  const body = error instanceof Problem ? error.body : { title: 'The console could not reach the admin API', detail: String(error) };
  return (
    <div class="problem" role="alert">
      <p class="problem-title">{body.title}</p>
      {body.detail && <p>{body.detail}</p>}
      {body.errors?.map((item) => (
        <p class="problem-item">
          {item.pointer ?? ''} {item.detail ?? item.message ?? ''}
        </p>
      ))}
      {'code' in body && body.code && (
        <p>
          Code <code>{body.code}</code>
          {body.type && /^https?:/.test(body.type) && (
            <>
              {' '}
              — <a href={body.type}>what it means and what to do</a>
            </>
          )}
          {'instance' in body && body.instance && <span class="muted"> (request {body.instance})</span>}
        </p>
      )}
    </div>
  );
}

export interface Confirmation {
  title: string;
  /** What will happen, in words, shown before anything is sent. */
  summary: ComponentChildren;
  action: string;
  danger?: boolean;
  run: () => Promise<unknown>;
}

/** Shows `pending` until the user confirms (runs it; a problem stays in the dialog) or cancels. */
export function ConfirmDialog({ pending, onClose }: { pending: Confirmation | null; onClose: (done: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState('');
  const [passkeys, setPasskeys] = useState(0);
  const asksStepUp = error instanceof Problem && error.code === 'admin.step_up_required';
  // The passkey way is offered only to a user who has one (GET /v1/mfa counts them).
  useEffect(() => {
    if (asksStepUp && passkeysSupported()) call<{ passkeys: number }>('GET', '/v1/mfa').then((mfa) => setPasskeys(mfa.passkeys), () => setPasskeys(0));
  }, [asksStepUp]);
  useEffect(() => {
    setError(null);
    setCode('');
    if (pending && !dialog.current?.open) dialog.current?.showModal();
    if (!pending && dialog.current?.open) dialog.current.close();
  }, [pending]);
  if (!pending) return <dialog ref={dialog} aria-label="Confirm" />;
  // The API asks for a fresh second factor (403 admin.step_up_required): the dialog asks for a
  // code, steps the session up (a new session and CSRF token) and sends the change again.
  const needsStepUp = asksStepUp;
  const confirm = async (passkey = false) => {
    setBusy(true);
    setError(null);
    try {
      if (needsStepUp && passkey) await stepUpWithPasskey();
      else if (needsStepUp) adoptSession(await call<Session>('POST', '/v1/session/step-up', /^\d{6,8}$/.test(code.trim()) ? { code: code.trim() } : { recoveryCode: code.trim() }));
      await pending.run();
      onClose(true);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={() => onClose(false)}>
      <h2 id="confirm-title">{pending.title}</h2>
      <div class="summary">{pending.summary}</div>
      <ProblemBox error={error} />
      {needsStepUp && (
        <p>
          <label for="step-up-code">Your authenticator code (or a recovery code), to confirm it is you{passkeys > 0 ? '; or confirm with a passkey' : ''}</label>
          <input id="step-up-code" autocomplete="one-time-code" value={code} onInput={(event) => setCode(event.currentTarget.value)} />
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => onClose(false)}>
          Cancel
        </button>
        {needsStepUp && passkeys > 0 && (
          <button type="button" disabled={busy} onClick={() => confirm(true)}>
            Confirm with a passkey
          </button>
        )}
        <button type="button" class={pending.danger ? 'danger' : 'primary'} disabled={busy} onClick={() => confirm()}>
          {pending.action}
        </button>
      </div>
    </dialog>
  );
}

export interface Column<T> {
  label: string;
  render: (item: T) => ComponentChildren;
}

/**
 * One page of a collection at a time, following the API's cursors (docs/admin-api.md#pagination):
 * "Next" sends the page's nextCursor, "Previous" the cursor that opened the page before.
 * `reload` changes to re-read from the first page.
 */
export function PagedTable<T>({ caption, path, query = {}, columns, reload = 0, pageSize = 20 }: { caption: string; path: string; query?: Record<string, string>; columns: Column<T>[]; reload?: number; pageSize?: number }) {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const queryKey = JSON.stringify(query);
  useEffect(() => setCursors([null]), [path, queryKey, reload]);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    let live = true;
    const params = new URLSearchParams({ ...query, limit: String(pageSize) });
    if (cursor) params.set('cursor', cursor);
    call<Page<T>>('GET', `${path}?${params}`).then(
      (answer) => live && (setPage(answer), setError(null)),
      (problem) => live && setError(problem),
    );
    return () => {
      live = false;
    };
  }, [path, queryKey, cursor, reload]);
  return (
    <div class="table-wrap">
      <ProblemBox error={error} />
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col">{column.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {page?.items.map((item) => (
            <tr>
              {columns.map((column) => (
                <td data-label={column.label}>{column.render(item)}</td>
              ))}
            </tr>
          ))}
          {page && page.items.length === 0 && (
            <tr>
              <td colSpan={columns.length}>Nothing here yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav class="pager" aria-label={`${caption}: pages`}>
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
          Next page
        </button>
      </nav>
    </div>
  );
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        await navigator.clipboard.writeText(value);
        setCopied(true);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** A secret the API shows once (a key, a client secret, recovery codes): never kept after this. */
export function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  return (
    <section class="shown-once" aria-labelledby="shown-once-title">
      <h2 id="shown-once-title">{label}</h2>
      <p>This is the only time it is shown: copy it now and hand it over safely.</p>
      <output class="secret" aria-label={label}>
        {value}
      </output>
      <div class="actions">
        <CopyButton value={value} label="Copy to clipboard" />
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

export function NotAvailable({ what }: { what: string }) {
  return (
    <p class="not-available" role="note">
      {what}: not available yet.
    </p>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
}

/** A datetime-local input's value (the user's local time) as RFC 3339 UTC, or undefined when empty. */
export const localToRfc3339 = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

/**
 * A screen's changes: `ask` opens the confirmation dialog (render `dialog`); after a confirmed
 * change `reload` grows, so the screen's tables read again.
 */
export function useChanges(): { ask: (confirmation: Confirmation) => void; reload: number; dialog: ComponentChildren } {
  const [pending, setPending] = useState<Confirmation | null>(null);
  const [reload, setReload] = useState(0);
  const dialog = (
    <ConfirmDialog
      pending={pending}
      onClose={(done) => {
        setPending(null);
        if (done) setReload((count) => count + 1);
      }}
    />
  );
  return { ask: setPending, reload, dialog };
}
