/**
 * The `onFailure: block` check: before an admin write, refuse it with 503 audit.sink_unavailable
 * while any sink in block mode is failing. It reads the sinks' rows in the store (one small
 * query), so every node and worker refuses, not only the process that delivers to the sink and
 * saw it fail. Reads, and the gateway's own records (denied attempts, security events), go on.
 */
import { GatewayError } from '../core/errors.js';
import type { SinkCursors } from './sink-cursors.js';

/** Retry-After of the refusal: about one retry of the sink. */
const RETRY_AFTER_SECONDS = 30;

export class SinkBlockGuard {
  constructor(
    private readonly cursors: SinkCursors,
    /** The names of the sinks configured with onFailure: block. */
    private readonly blockingSinks: readonly string[],
  ) {}

  get active(): boolean {
    return this.blockingSinks.length > 0;
  }

  /** Resolves when admin writes may go on; throws GatewayError audit.sink_unavailable when not. */
  async check(): Promise<void> {
    if (this.blockingSinks.length === 0) return;
    const failing = await this.cursors.failing(this.blockingSinks);
    if (failing.length === 0) return;
    const names = failing.map((entry) => entry.sink).join(', ');
    throw new GatewayError('audit.sink_unavailable', {
      detail: `The audit sink ${names} is unavailable and is configured to block changes until it is back; reads still work.`,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
}
