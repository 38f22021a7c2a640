/**
 * Reads what `wrk --latency` prints (wrk 4.x, Debian's package) into numbers: requests/s, the
 * latency percentiles, and everything that makes a run a failure (responses outside 2xx/3xx,
 * socket errors: connect, read, write, timeout).
 */

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  /** Latency in milliseconds. */
  latencyMs: { avg: number; max: number; p50: number; p75: number; p90: number; p99: number };
  /** Responses wrk counts as "Non-2xx or 3xx". */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** "492.00us", "2.93ms", "1.20s" → milliseconds. Throws on anything else. */
export function durationMs(text: string): number {
  const match = /^([0-9.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

function need(text: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(text);
  if (!match) throw new Error(`wrk output has no ${what}:\n${text}`);
  return match;
}

/** Parses the whole stdout of one `wrk --latency` run. Throws when a field is missing. */
export function parseWrkOutput(text: string): WrkResult {
  const latency = need(text, /^\s*Latency\s+(\S+)\s+\S+\s+(\S+)/m, 'latency line');
  const percentile = (p: number) => durationMs(need(text, new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm'), `${p}% latency`)[1]!);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: Number(need(text, /^\s*(\d+) requests in /m, 'request count')[1]),
    requestsPerSecond: Number(need(text, /^Requests\/sec:\s+([0-9.]+)/m, 'Requests/sec')[1]),
    latencyMs: { avg: durationMs(latency[1]!), max: durationMs(latency[2]!), p50: percentile(50), p75: percentile(75), p90: percentile(90), p99: percentile(99) },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: socket ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) } : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/** Why a run does not count, or undefined when it does: any non-2xx response or socket error fails it. */
export function failureOf(result: WrkResult): string | undefined {
  const errors = Object.entries(result.socketErrors).filter(([, count]) => count > 0);
  const reasons = [...(result.non2xx > 0 ? [`${result.non2xx} non-2xx responses`] : []), ...errors.map(([kind, count]) => `${count} socket ${kind} errors`)];
  if (result.requests === 0) reasons.push('no requests completed');
  return reasons.length > 0 ? reasons.join(', ') : undefined;
}
