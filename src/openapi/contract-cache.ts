/**
 * The contract cache on disk: which contracts are known to compile, kept across restarts so that a
 * restart with an unchanged contract skips the whole-contract compile (4 s for 500 operations) and
 * serves at once, each validator compiling when first used (contract.ts).
 *
 * It holds verdicts, not code: nothing read from it is ever executed. A forged entry could at worst
 * skip the load-time compile of a contract that does not compile (its requests would then fail with
 * 500 instead of the gateway refusing to start), so it is still kept where only the gateway's user
 * can write and checked before use (issue 16):
 * - the folder is created 0700, files are written 0600, all owned by the current user;
 * - before each read: the folder, the index and the entry must be owned by the current user, be
 *   neither group- nor world-writable, and be a plain folder/file (not a symbolic link);
 * - each entry's SHA-256 must be the one the index lists for it, and its content must name the same
 *   contract digest, compile options, Ajv version and gateway version as the lookup.
 * A failed check refuses the cache (the contract is compiled as if it were not there) and says why;
 * the caller logs and counts it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ContractOptions } from './contract.js';

const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;
const GATEWAY_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const INDEX = 'index.json';

/** The default folder: `$XDG_CACHE_HOME/portcullis/contracts`, else `~/.cache/portcullis/contracts`. */
export function defaultContractCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'portcullis', 'contracts');
}

/** Why a cache (folder, index or entry) was not trusted. */
export type CacheRefusal = 'not-owned' | 'writable-by-others' | 'not-a-plain-file' | 'digest-mismatch' | 'content-mismatch' | 'unreadable';

export type CacheLookup = { readonly hit: true } | { readonly hit: false; readonly refused?: { readonly reason: CacheRefusal; readonly file: string } };

interface Entry {
  readonly contractSha256: string;
  readonly strictBodies: boolean;
  readonly responses: boolean;
  readonly ajv: string;
  readonly gateway: string;
  readonly compiles: true;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The checks every folder and file passes before it is read: owner, mode, kind. */
function refusalOf(stats: Stats, kind: 'dir' | 'file'): CacheRefusal | undefined {
  if (kind === 'dir' ? !stats.isDirectory() : !stats.isFile()) return 'not-a-plain-file';
  if (stats.uid !== process.getuid!()) return 'not-owned';
  if ((stats.mode & 0o022) !== 0) return 'writable-by-others';
  return undefined;
}

export class ContractCache {
  constructor(readonly dir: string) {}

  #expected(contractSha256: string, options: ContractOptions): Entry {
    return { contractSha256, strictBodies: options.strictBodies, responses: options.responses, ajv: AJV_VERSION, gateway: GATEWAY_VERSION, compiles: true };
  }

  #entryName(entry: Entry): string {
    return `${sha256(JSON.stringify(entry))}.json`;
  }

  /** The folder, or why it is refused (a missing folder is a plain miss: undefined, undefined). */
  #checkDir(): { ok: boolean; refused?: { reason: CacheRefusal; file: string } } {
    let stats: Stats;
    try {
      stats = lstatSync(this.dir);
    } catch {
      return { ok: false };
    }
    const reason = refusalOf(stats, 'dir');
    return reason ? { ok: false, refused: { reason, file: this.dir } } : { ok: true };
  }

  /** Reads a file after checking it; a missing file is undefined without a refusal. */
  #read(name: string): { bytes?: Buffer; refused?: { reason: CacheRefusal; file: string } } {
    const file = join(this.dir, name);
    let stats: Stats;
    try {
      stats = lstatSync(file);
    } catch {
      return {};
    }
    const reason = refusalOf(stats, 'file');
    if (reason) return { refused: { reason, file } };
    try {
      return { bytes: readFileSync(file) };
    } catch {
      return { refused: { reason: 'unreadable', file } };
    }
  }

  #index(): { entries?: Record<string, string>; refused?: { reason: CacheRefusal; file: string } } {
    const read = this.#read(INDEX);
    if (!read.bytes) return { refused: read.refused };
    try {
      const parsed = JSON.parse(read.bytes.toString('utf8')) as { entries?: unknown };
      if (typeof parsed.entries === 'object' && parsed.entries !== null && !Array.isArray(parsed.entries)) return { entries: parsed.entries as Record<string, string> };
    } catch {
      // Unparsable: refused below like any other content that is not what was written.
    }
    return { refused: { reason: 'content-mismatch', file: join(this.dir, INDEX) } };
  }

  /** Whether a checked entry says the contract with this digest compiles under these options. */
  lookup(contractSha256: string, options: ContractOptions): CacheLookup {
    const dir = this.#checkDir();
    if (!dir.ok) return { hit: false, refused: dir.refused };
    const expected = this.#expected(contractSha256, options);
    const name = this.#entryName(expected);
    const index = this.#index();
    if (!index.entries) return { hit: false, refused: index.refused };
    const listed = index.entries[name];
    const read = this.#read(name);
    if (!read.bytes) return { hit: false, refused: read.refused ?? (listed ? { reason: 'unreadable', file: join(this.dir, name) } : undefined) };
    if (listed !== sha256(read.bytes)) return { hit: false, refused: { reason: 'digest-mismatch', file: join(this.dir, name) } };
    let entry: unknown;
    try {
      entry = JSON.parse(read.bytes.toString('utf8'));
    } catch {
      entry = undefined;
    }
    if (JSON.stringify(entry) !== JSON.stringify(expected)) return { hit: false, refused: { reason: 'content-mismatch', file: join(this.dir, name) } };
    return { hit: true };
  }

  /**
   * Records that the contract compiles. Creates the folder (0700) if missing; writes the entry and
   * the index (0600) through a temporary file and a rename, so a reader never sees half a file.
   * Returns why nothing was written when the folder (or the index) is refused or cannot be written.
   */
  store(contractSha256: string, options: ContractOptions): { refused?: { reason: CacheRefusal; file: string }; error?: string } {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      return { error: (error as Error).message };
    }
    const dir = this.#checkDir();
    if (!dir.ok) return { refused: dir.refused };
    const entry = this.#expected(contractSha256, options);
    const name = this.#entryName(entry);
    const bytes = JSON.stringify(entry);
    const index = this.#index();
    // A refused index is replaced by one holding only what this process checked itself.
    const entries = { ...(index.entries ?? {}), [name]: sha256(bytes) };
    try {
      this.#write(name, bytes);
      this.#write(INDEX, JSON.stringify({ entries }));
    } catch (error) {
      return { error: (error as Error).message };
    }
    return {};
  }

  #write(name: string, text: string): void {
    const temporary = join(this.dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, join(this.dir, name));
  }
}
