/**
 * Standard output for log lines, bounded (issue 13). A log collector that stalls (a full pipe
 * nobody reads) or goes away (the reader exited) must cost the gateway neither memory nor its event
 * loop nor its shutdown:
 *
 * - lines go to process.stdout, which for a pipe or socket is a non-blocking libuv stream (its
 *   writes that cannot complete wait in memory); at most `maxBufferBytes` may wait, and lines past
 *   that are dropped and counted, never queued;
 * - a reader that went away (EPIPE) makes every later line a counted drop (and the 'error' event
 *   is handled: unhandled, it would end the process);
 * - `flushWithin(timeoutMs)` waits for the buffer to drain for at most that long: shutdown never
 *   spins in a synchronous flush (pino's own destination flushes synchronously at exit, which on a
 *   full pipe waits in Atomics.wait forever: that is why this one is ours);
 * - after drops, once the destination takes lines again, one `log.lines_dropped` line says how
 *   many were lost.
 *
 * Regular files and terminals are written synchronously by Node: they do not stall like pipes.
 */
import type { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import type { LogEventAt } from '../core/log-events.js';

export interface BoundedDestinationOptions {
  /** Where lines go (default process.stdout). */
  readonly stream?: Writable;
  /** Bytes that may wait for a slow reader before lines are dropped (default 8 MiB). */
  readonly maxBufferBytes?: number;
}

export interface DropListener {
  /** A line was dropped (`gone`: the reader went away, rather than the buffer being full). */
  dropped(gone: boolean): void;
  /** Lines flow again after drops. */
  flowing(): void;
}

export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;

export class BoundedDestination implements DestinationStream {
  readonly #maxBufferBytes: number;
  readonly #stream: Writable;
  #gone = false;
  #droppedSinceReport = 0;
  #droppedTotal = 0;
  #listener: DropListener | undefined;

  constructor(options: BoundedDestinationOptions = {}) {
    this.#stream = options.stream ?? process.stdout;
    this.#maxBufferBytes = options.maxBufferBytes ?? DEFAULT_LOG_BUFFER_BYTES;
    // EPIPE (the reader exited) or any other write error: the destination is gone for good.
    this.#stream.on('error', () => {
      this.#gone = true;
    });
  }

  /** Where drops are reported (the metric and the health of the `log` dependency). */
  onDrop(listener: DropListener): void {
    this.#listener = listener;
  }

  /** Lines dropped since start. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Bytes waiting for the reader. */
  get buffered(): number {
    return this.#stream.writableLength;
  }

  write(line: string): void {
    if (this.#gone || this.#stream.destroyed || this.#stream.writableLength + line.length > this.#maxBufferBytes) {
      this.#drop();
      return;
    }
    if (this.#droppedSinceReport > 0) {
      const lost = this.#droppedSinceReport;
      this.#droppedSinceReport = 0;
      this.#listener?.flowing();
      this.#emit(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), event: 'log.lines_dropped' satisfies LogEventAt<'warn'>, dropped: lost, msg: 'the log destination did not keep up: lines were dropped' })}\n`);
    }
    this.#emit(line);
  }

  #emit(line: string): void {
    try {
      this.#stream.write(line);
    } catch {
      // A synchronous file or terminal that failed (a full disk): gone, and counted from now on.
      this.#gone = true;
      this.#drop();
    }
  }

  #drop(): void {
    this.#droppedSinceReport++;
    this.#droppedTotal++;
    this.#listener?.dropped(this.#gone);
  }

  /**
   * Waits until every buffered line is written, for at most `timeoutMs`; false when lines were
   * still waiting (they are lost when the process exits). Never blocks the event loop.
   */
  async flushWithin(timeoutMs: number): Promise<boolean> {
    const stream = this.#stream;
    const deadline = Date.now() + timeoutMs;
    // Polled: 'drain' only fires after a write went past the high-water mark.
    while (!this.#gone && stream.writableLength > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return stream.writableLength === 0;
  }

  /** pino's logger.flush(): starts no synchronous flush, only reports when the buffer drained. */
  flush(callback?: (error?: Error) => void): void {
    void this.flushWithin(1000).then(() => callback?.());
  }
}
