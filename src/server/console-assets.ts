/**
 * The browser console's files (issue 25 §1), served by the admin listener under `/console/`:
 * read once from dist/console (built at `npm run build` by scripts/build-console.mjs) and kept in
 * memory. Assets are named by a hash of their content, so they are cached for a year as immutable;
 * index.html, which names them, is never cached. Every answer carries the strict headers: a CSP
 * that allows only this origin (no inline script or style, no eval, no framing), no referrer, no
 * sniffing. Without a built console (a dev tree that never ran the build) `/console/` is a 404
 * problem, logged once at start.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * CSP Level 3: scripts, styles, fetches only from this origin; images also as data: URLs (the
 * TOTP enrolment's QR code comes from the API as one); no plugins, no base-URI change, forms post
 * only here, and no page may frame the console (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

interface ConsoleFile {
  readonly body: Buffer;
  readonly type: string;
  readonly cache: string;
}

export interface ConsoleAssets {
  /** Answers a request under /console (GET/HEAD); false for any other path. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

/** dist/console, beside dist/src (this module is dist/src/server/console-assets.js). */
export const BUILT_CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');

/** The built console's files, or undefined when the build left none (`npm run build` makes them). */
export function loadConsoleAssets(dir = BUILT_CONSOLE_DIR): ConsoleAssets | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, ConsoleFile>();
  files.set('/console/', { body: readFileSync(join(dir, 'index.html')), type: TYPES['.html']!, cache: 'no-cache' });
  for (const name of readdirSync(join(dir, 'assets'))) {
    const extension = name.slice(name.lastIndexOf('.'));
    const type = TYPES[extension];
    if (type) files.set(`/console/assets/${name}`, { body: readFileSync(join(dir, 'assets', name)), type, cache: 'public, max-age=31536000, immutable' });
  }
  return {
    serve(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path !== '/console' && !path.startsWith('/console/')) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (path === '/console') {
        res.writeHead(308, { ...SECURITY_HEADERS, location: '/console/', 'content-length': 0 });
        res.end();
        return true;
      }
      const file = files.get(path);
      if (!file) return false;
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type, 'content-length': file.body.length, 'cache-control': file.cache });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return true;
    },
  };
}
