/**
 * A steady load for fault-injection tests: a few workers send requests one after another and
 * count what came back (status, or `error` when the connection failed), by phase, so a test can
 * say exactly what clients got before, during and after an outage.
 */
import { sleep } from './index.js';

export type Outcome = number | 'error';

export class SteadyLoad {
  readonly #counts = new Map<string, Map<Outcome, number>>();
  #phase = 'before';
  #running = true;
  readonly #workers: Array<Promise<void>>;

  /** `send` makes one request and returns its status (a thrown error counts as `error`). */
  constructor(send: () => Promise<number>, options: { concurrency?: number; pauseMs?: number } = {}) {
    this.#workers = Array.from({ length: options.concurrency ?? 2 }, async () => {
      while (this.#running) {
        const phase = this.#phase;
        let outcome: Outcome;
        try {
          outcome = await send();
        } catch {
          outcome = 'error';
        }
        const counts = this.#counts.get(phase) ?? new Map<Outcome, number>();
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        this.#counts.set(phase, counts);
        await sleep(options.pauseMs ?? 5);
      }
    });
  }

  /** Requests started from now on are counted under `name`. */
  phase(name: string): void {
    this.#phase = name;
  }

  /** Outcomes of one phase, e.g. `{ 200: 311 }`. */
  counts(phase: string): Record<string, number> {
    return Object.fromEntries([...(this.#counts.get(phase) ?? new Map<Outcome, number>())].map(([outcome, count]) => [String(outcome), count]));
  }

  total(phase: string): number {
    return Object.values(this.counts(phase)).reduce((sum, count) => sum + count, 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }
}

/** Polls `condition` until it holds; the milliseconds it took, or throws after `timeoutMs`. */
export async function msUntil(condition: () => Promise<boolean> | boolean, message: string, timeoutMs = 10_000, pollMs = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(pollMs);
  }
}

/** One metric's value from Prometheus text (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (wanted.every((pair) => rest.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
