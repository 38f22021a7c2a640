/**
 * Calls to the target's admin API for a selftest run (`--admin-url`, token in
 * PORTCULLIS_ADMIN_TOKEN): the route list (GET /v1/inventory) and the throwaway caller's consumer
 * and keys. A refusal or an unreachable admin API is an error: selftest cannot run as asked.
 */
export interface AdminAccess {
  readonly url: URL;
  readonly token: string;
  readonly timeoutMs: number;
}

/** One JSON call; throws with the status and the start of the body when the answer is not 2xx. */
export async function adminCall<T>(admin: AdminAccess, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, admin.url), {
    method,
    headers: { authorization: `Bearer ${admin.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(admin.timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin API ${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}
