/**
 * Standard output for log lines, batched and bounded (issues 13 and 16). Writing a line per
 * request to a pipe costs a syscall and a trip through the stream machinery each (measured about
 * 15 µs a line on a pipe, against about 3 µs batched), so lines are gathered and written once per
 * event-loop turn, off the request path. A log collector that stalls (a full pipe nobody reads)
 * or goes away (the reader exited) must cost the gateway neither memory nor its event loop nor
 * its shutdown:
 *
 * - lines gather in one string and are written to process.stdout on the next turn of the event
 *   loop (setImmediate), or at once when BATCH_CHARS have gathered; for a pipe or socket stdout is
 *   a non-blocking libuv stream (a write that cannot complete waits in memory);
 * - at most `maxBufferBytes` may wait, gathered or in the stream; lines past that are dropped and
 *   counted, never queued;
 * - a reader that went away (EPIPE) makes every later line a counted drop (and the 'error' event
 *   is handled: unhandled, it would end the process);
 * - `flushWithin(timeoutMs)` writes what gathered and waits for the stream to drain for at most
 *   that long: shutdown never spins in a synchronous flush (pino's own destination flushes
 *   synchronously at exit, which on a full pipe waits in Atomics.wait forever: that is why this one
 *   is ours);
 * - a process that exits without flushing (process.exit after a failed start) still hands what
 *   gathered to the stream on 'exit' (written at once when the pipe has room);
 * - after drops, once the destination takes lines again, one `log.lines_dropped` line says how
 *   many were lost.
 *
 * Regular files and terminals are written synchronously by Node: they do not stall like pipes,
 * and batching still saves a syscall per line.
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
  /** `lines` lines were dropped (`gone`: the reader went away, rather than the buffer being full). */
  dropped(gone: boolean, lines: number): void;
  /** Lines flow again after drops. */
  flowing(): void;
}

export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * Characters gathered before they are written without waiting for the end of the loop turn: big
 * enough that a busy turn makes few writes, small enough that one write stays cheap.
 */
const BATCH_CHARS = 64 * 1024;

/** Destinations holding gathered lines, handed to their stream if the process exits first. */
const gathering = new Set<BoundedDestination>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const destination of gathering) destination.writeGathered();
  });
}

export class BoundedDestination implements DestinationStream {
  readonly #maxBufferBytes: number;
  readonly #stream: Writable;
  #gone = false;
  #droppedSinceReport = 0;
  #droppedTotal = 0;
  #listener: DropListener | undefined;
  /** Lines gathered for the next write, and their count and length (UTF-16 units, ~bytes). */
  #gathered = '';
  #gatheredLines = 0;
  #gatheredChars = 0;
  #scheduled = false;
  readonly #onTurnEnd = () => {
    this.#scheduled = false;
    this.writeGathered();
  };

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

  /** Bytes waiting for the reader: gathered, and in the stream. */
  get buffered(): number {
    return this.#gatheredChars + this.#stream.writableLength;
  }

  /** Takes one line (with its newline); never blocks, never throws. */
  write(line: string): void {
    if (this.#gone || this.#stream.destroyed || this.buffered + line.length > this.#maxBufferBytes) {
      this.#drop(1);
      return;
    }
    if (this.#droppedSinceReport > 0) {
      const lost = this.#droppedSinceReport;
      this.#droppedSinceReport = 0;
      this.#listener?.flowing();
      this.#gather(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), event: 'log.lines_dropped' satisfies LogEventAt<'warn'>, dropped: lost, msg: 'the log destination did not keep up: lines were dropped' })}\n`);
    }
    this.#gather(line);
  }

  #gather(line: string): void {
    this.#gathered += line;
    this.#gatheredLines++;
    this.#gatheredChars += line.length;
    if (this.#gatheredChars >= BATCH_CHARS) {
      this.writeGathered();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      gathering.add(this);
      installExitHook();
      setImmediate(this.#onTurnEnd);
    }
  }

  /** Hands the gathered lines to the stream in one write (at the end of a loop turn, a flush, or exit). */
  writeGathered(): void {
    gathering.delete(this);
    if (this.#gatheredLines === 0) return;
    const chunk = this.#gathered;
    const lines = this.#gatheredLines;
    this.#gathered = '';
    this.#gatheredLines = 0;
    this.#gatheredChars = 0;
    if (this.#gone || this.#stream.destroyed) {
      this.#drop(lines);
      return;
    }
    try {
      this.#stream.write(chunk);
    } catch {
      // A synchronous file or terminal that failed (a full disk): gone, and counted from now on.
      this.#gone = true;
      this.#drop(lines);
    }
  }

  #drop(lines: number): void {
    this.#droppedSinceReport += lines;
    this.#droppedTotal += lines;
    this.#listener?.dropped(this.#gone, lines);
  }

  /**
   * Writes the gathered lines, then waits until the stream has written everything, for at most
   * `timeoutMs`; false when lines were still waiting (they are lost when the process exits).
   * Never blocks the event loop.
   */
  async flushWithin(timeoutMs: number): Promise<boolean> {
    this.writeGathered();
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
