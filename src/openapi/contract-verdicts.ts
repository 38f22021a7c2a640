/**
 * What is known, in this process, about whether a contract compiles: a verdict per contract (its
 * SHA-256) and compile options, found by compiling it in a worker thread (contract-prepare.ts) or
 * read from the verdict cache on disk (contract-cache.ts). loadContract uses it: a contract known
 * to compile gets validators compiled on first use (the load-time check already passed), a
 * contract known to fail throws the worker's error, and an unknown one is compiled whole on the
 * spot as before.
 */
/** How a contract is compiled (the validate policy's options). */
export interface ContractOptions {
  /** Object schemas that list properties refuse unknown request-body properties. */
  readonly strictBodies: boolean;
  /** Compile response validators too. */
  readonly responses: boolean;
}

export type ContractVerdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

const verdicts = new Map<string, ContractVerdict>();
/** Bounded: a gateway reloading edited contracts for months must not grow without end. */
const MAX_VERDICTS = 256;

/** The key of a contract's bytes under compile options. */
export function verdictKey(sha256: string, options: ContractOptions): string {
  return `${sha256}:${options.strictBodies ? 'strict' : 'plain'}:${options.responses ? 'responses' : 'requests'}`;
}

export function contractVerdict(sha256: string, options: ContractOptions): ContractVerdict | undefined {
  return verdicts.get(verdictKey(sha256, options));
}

export function recordVerdict(sha256: string, options: ContractOptions, verdict: ContractVerdict): void {
  const key = verdictKey(sha256, options);
  verdicts.delete(key);
  verdicts.set(key, verdict);
  if (verdicts.size > MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
}

/** Forgets every verdict (tests: what a restart forgets). */
export function forgetVerdicts(): void {
  verdicts.clear();
}
