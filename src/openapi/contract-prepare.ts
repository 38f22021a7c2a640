/**
 * Compiles the contracts a config names off the serving thread, before the config is checked
 * (issue 16: a 500-operation contract took 4 s to compile, with the event loop blocked, also on
 * reload). Each contract is compiled whole in a worker thread (contract-worker.ts) unless its
 * verdict is already known, in this process or from the contract cache on disk
 * (contract-cache.ts). The verdict is recorded (contract-verdicts.ts); the config check that
 * follows then finds a contract that compiles ready, with validators compiled when first used,
 * and one that does not with the worker's error.
 *
 * If the worker cannot run or crashes, nothing is recorded: the check compiles the contract on the
 * serving thread as before, and the preparation says so (`source: 'fallback'`, logged as a warning).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ContractOptions } from './contract.js';
import type { CacheRefusal, ContractCache } from './contract-cache.js';
import type { CompileAnswer, CompileRequest } from './contract-worker.js';
import { contractVerdict, recordVerdict } from './contract-verdicts.js';

/** A contract file a config uses, with the options its validate policy compiles it with. */
export interface ContractUse {
  readonly path: string;
  readonly options: ContractOptions;
}

/** How one contract was made ready; logged by the gateway (`contract.prepared`, `contract.cache_refused`). */
export interface ContractPreparation {
  readonly contract: string;
  /** memory: known in this process; cache: a checked cache entry; compiled: in the worker; failed: does not compile; fallback: left to the serving thread. */
  readonly source: 'memory' | 'cache' | 'compiled' | 'failed' | 'fallback';
  readonly ms: number;
  /** The cache was not trusted (or could not be written), and why. */
  readonly cacheRefused?: { readonly reason: CacheRefusal | 'write-failed'; readonly file: string };
  /** fallback: why the worker could not compile it. */
  readonly reason?: string;
}

const WORKER_URL = new URL('./contract-worker.js', import.meta.url);

/** One worker thread for a batch of contracts, compiled one after another. */
class CompileWorker {
  readonly #worker = new Worker(WORKER_URL);
  readonly #pending = new Map<number, (answer: CompileAnswer) => void>();
  #next = 0;

  constructor() {
    this.#worker.on('message', (answer: CompileAnswer) => {
      this.#pending.get(answer.id)?.(answer);
      this.#pending.delete(answer.id);
    });
    const failAll = (reason: string) => {
      for (const [id, resolve] of this.#pending) resolve({ id, crashed: reason });
      this.#pending.clear();
    };
    this.#worker.on('error', (error) => failAll(error.message));
    this.#worker.on('exit', (code) => failAll(`the compile worker exited (${code})`));
  }

  compile(path: string, options: ContractOptions): Promise<CompileAnswer> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ id, path, options } satisfies CompileRequest);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

const useKey = (use: ContractUse) => `${use.path}\0${use.options.strictBodies}\0${use.options.responses}`;

/**
 * Makes every contract in `uses` ready (see the module comment). Never throws: a contract that
 * cannot be read or compiled is left to the config check, which reports it with its path.
 */
export async function prepareContracts(uses: readonly ContractUse[], cache: ContractCache | undefined): Promise<ContractPreparation[]> {
  const unique = [...new Map(uses.map((use) => [useKey(use), use])).values()];
  const preparations: ContractPreparation[] = [];
  let worker: CompileWorker | undefined;
  try {
    for (const use of unique) {
      const started = performance.now();
      const done = (rest: Omit<ContractPreparation, 'contract' | 'ms'>) => preparations.push({ contract: use.path, ms: Math.round(performance.now() - started), ...rest });
      let sha256: string;
      try {
        sha256 = createHash('sha256').update(await readFile(use.path)).digest('hex');
      } catch {
        continue; // Unreadable: the config check says so, with the path.
      }
      if (contractVerdict(sha256, use.options)) {
        done({ source: 'memory' });
        continue;
      }
      const lookup = cache?.lookup(sha256, use.options);
      if (lookup?.hit) {
        recordVerdict(sha256, use.options, { ok: true });
        done({ source: 'cache' });
        continue;
      }
      worker ??= new CompileWorker();
      const answer = await worker.compile(use.path, use.options);
      if ('crashed' in answer) {
        done({ source: 'fallback', reason: answer.crashed, cacheRefused: lookup?.refused });
        continue;
      }
      recordVerdict(answer.sha256, use.options, answer.ok ? { ok: true } : { ok: false, message: answer.message });
      let cacheRefused: ContractPreparation['cacheRefused'] = lookup?.refused;
      if (answer.ok && cache && answer.sha256 === sha256) {
        const stored = cache.store(sha256, use.options);
        cacheRefused ??= stored.refused ?? (stored.error !== undefined ? { reason: 'write-failed', file: cache.dir } : undefined);
      }
      done({ source: answer.ok ? 'compiled' : 'failed', cacheRefused });
    }
  } finally {
    await worker?.close();
  }
  return preparations;
}

const reported: ContractPreparation[] = [];
const MAX_REPORTED = 64;

/** Keeps preparations for the gateway to log once it has a logger (the config is loaded before it starts). */
export function reportPreparations(preparations: readonly ContractPreparation[]): void {
  reported.push(...preparations);
  if (reported.length > MAX_REPORTED) reported.splice(0, reported.length - MAX_REPORTED);
}

/** The preparations not yet logged, oldest first; empties the list. */
export function takePreparations(): ContractPreparation[] {
  return reported.splice(0, reported.length);
}
