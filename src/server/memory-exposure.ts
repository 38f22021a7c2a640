/**
 * Node flags that copy the process's memory out, or let someone read it: heap snapshots
 * (`--heapsnapshot-signal`, `--heapsnapshot-near-heap-limit`), the inspector (`--inspect…`,
 * `--debug-port`) and diagnostic reports (`--report-on-signal`, `--report-on-fatalerror`,
 * `--report-uncaught-exception`: a report lists the environment, which holds the KEK and other
 * `${env:…}` secrets). A node holds every promoted vault secret decrypted in memory, its KEK and
 * the tokens it injects: such a copy cannot be kept clean (docs/vault.md#values-never-leave-by-accident).
 * `portcullis start` refuses them in production (NODE_ENV=production, as the image sets) and
 * warns elsewhere. In production it also keeps SIGUSR1 from opening the inspector (Node 20 opens
 * it on that signal unless the process listens for it, and has no flag to turn it off).
 */
const EXPOSING = /^--(heapsnapshot-signal|heapsnapshot-near-heap-limit|inspect|inspect-brk|inspect-wait|inspect-port|debug-port|report-on-signal|report-on-fatalerror|report-uncaught-exception)(=.*)?$/;

/** The exposing flags among the process's own (`execArgv`) and NODE_OPTIONS, by name (without values), in order. */
export function memoryExposingFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const flags = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map((arg) => EXPOSING.exec(arg.replaceAll('_', '-'))?.[1]).filter((name): name is string => name !== undefined);
  return [...new Set(flags)].map((name) => `--${name}`);
}

/** What `portcullis start` says about them: a refusal in production, a warning elsewhere, or nothing. */
export function memoryExposureVerdict(env: NodeJS.ProcessEnv, execArgv: readonly string[]): { refuse: boolean; message: string } | undefined {
  const flags = memoryExposingFlags(execArgv, env.NODE_OPTIONS);
  if (flags.length === 0) return undefined;
  const why = `${flags.join(', ')} (in the node command line or NODE_OPTIONS) would copy this process's memory out (heap snapshot, inspector, diagnostic report): it holds the vault's decrypted secrets, the KEK and the tokens it injects`;
  if (env.NODE_ENV === 'production') return { refuse: true, message: `refusing to start with ${why}. Remove the flag (docs/vault.md#values-never-leave-by-accident)` };
  return { refuse: false, message: `warning: ${why}. Never run a production node so (with NODE_ENV=production it refuses to start)` };
}

/**
 * In production, listens for SIGUSR1 so that Node does not open its inspector on it (a listener
 * replaces that default), and says so when one arrives. Returns whether it listens.
 */
export function keepInspectorClosed(env: NodeJS.ProcessEnv, say: (line: string) => void): boolean {
  if (env.NODE_ENV !== 'production') return false;
  process.on('SIGUSR1', () => say('SIGUSR1 ignored: a production node does not open its inspector (docs/vault.md#values-never-leave-by-accident)'));
  return true;
}
