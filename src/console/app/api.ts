/**
 * The console's one way to the admin API: same-origin fetch with the session cookie (HttpOnly,
 * sent by the browser) and, on POST and DELETE, the session's CSRF token as X-CSRF-Token. Every
 * non-2xx answer becomes a Problem carrying the RFC 9457 members the screens show.
 */

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  instance?: string;
  errors?: Array<{ pointer?: string; detail?: string; message?: string }>;
}

export class Problem extends Error {
  constructor(readonly body: ProblemBody) {
    super(body.title ?? 'Request failed');
  }
  get code(): string {
    return this.body.code ?? 'unknown';
  }
}

export interface Session {
  id: string;
  userId: string;
  name: string;
  method: string;
  mfa: boolean;
  enrolOnly: boolean;
  createdAt: string;
  expiresAt: string;
  stepUpValidUntil: string | null;
  permissions: string[];
  csrfToken: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

let csrfToken = '';
let onSessionLost: () => void = () => {};

export function useSession(session: Session | null): void {
  csrfToken = session?.csrfToken ?? '';
}

export function whenSessionLost(handler: () => void): void {
  onSessionLost = handler;
}

export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const problem = new Problem(typeof parsed === 'object' && parsed !== null ? (parsed as ProblemBody) : { title: response.statusText, status: response.status });
    if (response.status === 401 && problem.code === 'admin.session_expired') onSessionLost();
    throw problem;
  }
  return parsed as T;
}

/** A path with its query: empty values are left out. */
export function withQuery(path: string, query: Record<string, string | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  const encoded = params.toString();
  return encoded ? `${path}?${encoded}` : path;
}

/** A session answer (login, step-up, a factor change) replaces the CSRF token with the new session's. */
export function adoptSession(session: Session): Session {
  useSession(session);
  onSessionChanged(session);
  return session;
}

let onSessionChanged: (session: Session) => void = () => {};

export function whenSessionChanged(handler: (session: Session) => void): void {
  onSessionChanged = handler;
}

export function can(session: Session, permission: string): boolean {
  return session.permissions.includes('*') || session.permissions.includes(permission);
}
