/**
 * The one log line written when something nobody handled ends the process (an uncaught exception
 * or an unhandled rejection; issue 13). It must help an operator without leaking: Node's default
 * report dumps the error's own properties, and a pg error carries its client, connection string
 * and password with it. So the line holds only the error's class, code, message and stack frames,
 * each cut to a bound, with every secret the config holds, URL passwords, bearer tokens and
 * anything shaped like an API key replaced by [REDACTED].
 */
import type { LogEventAt } from '../core/log-events.js';

const REDACTED = '[REDACTED]';
const MAX_MESSAGE_CHARS = 500;
const MAX_STACK_FRAMES = 12;

/** A config secret (config/secret.ts's SecretValue), recognised by shape to keep this a leaf. */
function isSecret(value: unknown): value is { reveal(): string; reference: string } {
  return typeof value === 'object' && value !== null && typeof (value as { reveal?: unknown }).reveal === 'function' && typeof (value as { reference?: unknown }).reference === 'string';
}

/** Every secret value in a config (anything the loader wrapped as a SecretValue), longest first. */
export function collectSecrets(config: unknown): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  const walk = (value: unknown) => {
    if (isSecret(value)) {
      let revealed: string;
      try {
        revealed = value.reveal();
      } catch {
        // A vault secret that is gone (deleted, vault closed): nothing to redact.
        return;
      }
      if (revealed.length >= 4) found.add(revealed);
      // A connection URL's password may also appear on its own (decoded) in a driver's message.
      try {
        const password = decodeURIComponent(new URL(revealed).password);
        if (password.length >= 4) found.add(password);
      } catch {
        // Not a URL.
      }
      return;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child);
  };
  walk(config);
  return [...found].sort((a, b) => b.length - a.length);
}

/** Replaces known secrets and secret-shaped text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return (
    out
      // user:password@ in any URL (RFC 3986 §3.2.1 userinfo).
      .replace(/(\/\/[^/\s:@]*:)[^@\s/]*@/g, `$1${REDACTED}@`)
      .replace(/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`)
      // Our API keys: product_environment_idsecret_checksum.
      .replace(/\b[a-z]{2,8}_[a-z]{2,8}_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}\b/g, REDACTED)
      // JWTs (three base64url parts, the first a JSON header).
      .replace(/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED)
  );
}

export type CrashKind = 'uncaughtException' | 'unhandledRejection';

/** The crash as one JSON line (with its newline), redacted; never throws. */
export function crashLine(kind: CrashKind, error: unknown, secrets: readonly string[]): string {
  let name = 'Error';
  let code: string | undefined;
  let message: string;
  let frames: string[] = [];
  try {
    if (error instanceof Error) {
      name = error.name;
      const rawCode = (error as { code?: unknown }).code;
      if (typeof rawCode === 'string' || typeof rawCode === 'number') code = String(rawCode).slice(0, 40);
      message = error.message;
      frames = (error.stack ?? '')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('at '))
        .slice(0, MAX_STACK_FRAMES);
    } else {
      // A rejection with a non-error (an object, a string): its type only, never a dump of it.
      name = error === null ? 'null' : typeof error;
      message = typeof error === 'string' ? error : `a ${name} was thrown`;
    }
  } catch {
    message = 'the error could not be read';
  }
  const record = {
    level: 'fatal',
    time: new Date().toISOString(),
    // Written without pino (it may be what failed); the catalogue still names it.
    event: 'process.crashed' satisfies LogEventAt<'fatal'>,
    kind,
    error: { name: redactText(name.slice(0, 100), secrets), ...(code === undefined ? {} : { code }), message: redactText(message.slice(0, MAX_MESSAGE_CHARS), secrets) },
    stack: frames.map((frame) => redactText(frame.slice(0, 300), secrets)),
    msg: 'unexpected error: exiting so the supervisor restarts the gateway',
  };
  return `${JSON.stringify(record)}\n`;
}
