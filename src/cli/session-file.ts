/**
 * Where `portcullis login` keeps its session: `$PORTCULLIS_CONFIG_DIR` or `$XDG_CONFIG_HOME/portcullis`
 * (else `~/.config/portcullis`), file `session.json`, created with mode 0600 in a 0700 folder so
 * only the user can read the token. Other admin commands use it when no token is given.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StoredSession {
  readonly adminUrl: string;
  readonly token: string;
  readonly name: string;
  readonly expiresAt: string;
}

export function sessionFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.PORTCULLIS_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'portcullis');
  return join(dir, 'session.json');
}

export function writeSession(session: StoredSession, path = sessionFilePath()): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  // An older file keeps its mode through writeFileSync: set it again.
  chmodSync(path, 0o600);
}

/** The stored session for this admin URL, or undefined (none, unreadable, or for another URL). */
export function readSession(adminUrl: string, path = sessionFilePath()): StoredSession | undefined {
  try {
    const session = JSON.parse(readFileSync(path, 'utf8')) as StoredSession;
    return session.adminUrl === adminUrl && typeof session.token === 'string' ? session : undefined;
  } catch {
    return undefined;
  }
}

export function removeSession(path = sessionFilePath()): void {
  rmSync(path, { force: true });
}
