/**
 * Standard output for log lines, batched and bounded (issues 13 and 16). Writing a line per
 * request to a pipe costs a syscall and a trip through the stream machinery each (about 15 µs a
 * line measured on a pipe, against about 3 µs batched), so lines are gathered and written at the
 * end of the event-loop turn, off the request path. A log collector that stalls (a full pipe
 * nobody reads) or goes away (the reader exited) must cost the gateway neither memory nor its
 * event loop nor its shutdown:
 *
 * - lines gather in chunks of at most CHUNK_BYTES, written to process.stdout one at a time on the
 *   next turn of the event loop (setImmediate); for a pipe or socket stdout is a non-blocking libuv
 *   stream, and a write the pipe cannot take at once waits for the reader;
 * - at most `maxBufferBytes` may wait, gathered, in chunks or in the stream; lines past that are
 *   dropped and counted, never queued;
 * - a reader that went away (EPIPE) makes every later line a counted drop (and the 'error' event
 *   is handled: unhandled, it would end the process);
 * - `flushWithin(timeoutMs)` writes what gathered and waits for the stream to drain for at most
 *   that long: shutdown never spins in a synchronous flush (pino's own destination flushes
 *   synchronously at exit, which on a full pipe waits in Atomics.wait forever: that is why this one
 *   is ours);
 * - a process that exits without that wait (process.exit after a failed start) still hands what
 *   gathered to the stream on 'exit', as far as the pipe takes it at once;
 * - after drops, as soon as the reader has caught up (or with the next line, whichever comes
 *   first), one `log.lines_dropped` line says how many were lost.
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
 * Largest write: POSIX makes a write of at most PIPE_BUF bytes (4096 on Linux) to a pipe atomic,
 * so the lines of processes sharing one standard output (`--workers`: workers inherit it) never
 * tear into each other. One write at a time (the next waits for the last), so Node never merges
 * them into one larger writev. A single line longer than this is written alone.
 */
const CHUNK_BYTES = 4096;

interface Chunk {
  readonly text: string;
  readonly bytes: number;
  readonly lines: number;
}

/** Destinations holding lines not yet handed to their stream, handed over if the process exits first. */
const holding = new Set<BoundedDestination>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const destination of holding) destination.writeGathered();
  });
}

export class BoundedDestination implements DestinationStream {
  readonly #maxBufferBytes: number;
  readonly #stream: Writable;
  #gone = false;
  #droppedSinceReport = 0;
  #droppedTotal = 0;
  #listener: DropListener | undefined;
  /** The chunk being filled this turn. */
  #gathered = '';
  #gatheredBytes = 0;
  #gatheredLines = 0;
  /** Full chunks waiting for the stream to take them, one write at a time. */
  readonly #chunks: Chunk[] = [];
  #chunksBytes = 0;
  #scheduled = false;
  readonly #onTurnEnd = () => {
    this.#scheduled = false;
    this.writeGathered();
  };
  readonly #pump = () => this.#writeChunks();

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

  /** Bytes waiting for the reader: gathered, in chunks, and in the stream. */
  get buffered(): number {
    return this.#gatheredBytes + this.#chunksBytes + this.#stream.writableLength;
  }

  /** Takes one line (with its newline); never blocks, never throws. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#gone || this.#stream.destroyed || this.buffered + bytes > this.#maxBufferBytes) {
      this.#drop(1);
      return;
    }
    if (this.#droppedSinceReport > 0) this.#reportDrops();
    this.#gather(line, bytes);
  }

  /** Lines flow again after drops: one line says how many were lost. */
  #reportDrops(): void {
    const lost = this.#droppedSinceReport;
    this.#droppedSinceReport = 0;
    this.#listener?.flowing();
    const report = `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), event: 'log.lines_dropped' satisfies LogEventAt<'warn'>, dropped: lost, msg: 'the log destination did not keep up: lines were dropped' })}\n`;
    this.#gather(report, report.length);
  }

  #gather(line: string, bytes: number): void {
    if (this.#gatheredBytes + bytes > CHUNK_BYTES) this.#seal();
    this.#gathered += line;
    this.#gatheredBytes += bytes;
    this.#gatheredLines++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      holding.add(this);
      installExitHook();
      setImmediate(this.#onTurnEnd);
    }
  }

  /** Moves the chunk being filled to the ones waiting. */
  #seal(): void {
    if (this.#gatheredLines === 0) return;
    this.#chunks.push({ text: this.#gathered, bytes: this.#gatheredBytes, lines: this.#gatheredLines });
    this.#chunksBytes += this.#gatheredBytes;
    this.#gathered = '';
    this.#gatheredBytes = 0;
    this.#gatheredLines = 0;
  }

  /** Hands what gathered to the stream (at the end of a loop turn, a flush, or exit), as far as it takes it now. */
  writeGathered(): void {
    this.#seal();
    this.#writeChunks();
  }

  /**
   * Writes chunks while the stream has nothing pending: a write the pipe takes at once leaves
   * writableLength at 0 and the next follows; one that must wait resumes this when it is done.
   */
  #writeChunks(): void {
    while (this.#chunks.length > 0 && this.#stream.writableLength === 0) {
      const chunk = this.#chunks.shift()!;
      this.#chunksBytes -= chunk.bytes;
      if (this.#gone || this.#stream.destroyed) {
        this.#drop(chunk.lines);
        continue;
      }
      try {
        this.#stream.write(chunk.text, this.#pump);
      } catch {
        // A synchronous file or terminal that failed (a full disk): gone, and counted from now on.
        this.#gone = true;
        this.#drop(chunk.lines);
      }
    }
    if (this.#gone) {
      for (const chunk of this.#chunks.splice(0)) this.#drop(chunk.lines);
      this.#chunksBytes = 0;
    }
    if (this.#chunks.length === 0 && this.#gatheredLines === 0) {
      holding.delete(this);
      // The reader caught up after drops: report them now rather than with the next line.
      if (this.#droppedSinceReport > 0 && !this.#gone && this.#stream.writableLength === 0) this.#reportDrops();
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
    const deadline = Date.now() + timeoutMs;
    // Polled: 'drain' only fires after a write went past the high-water mark.
    while (!this.#gone && this.buffered > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.buffered === 0;
  }

  /** pino's logger.flush(): starts no synchronous flush, only reports when the buffer drained. */
  flush(callback?: (error?: Error) => void): void {
    void this.flushWithin(1000).then(() => callback?.());
  }
}
