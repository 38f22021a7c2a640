/**
 * Streams a request body to the upstream without holding it: counts bytes and cuts the stream at
 * the route's limit (413), and times out a client that stops sending mid-body (408, slowloris).
 * It never destroys the client's request itself, so the gateway can still answer with a problem.
 */
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { GatewayError } from '../core/errors.js';

export class BodyGuard extends Transform {
  bytes = 0;
  /** Why the guard stopped the body, if it did: the answer to give the client. */
  failure: GatewayError | undefined;
  readonly #maxBytes: number;
  readonly #idleTimer: NodeJS.Timeout;

  /** @param onBytes told of every chunk passed on, so the access log counts bytes as they flow. */
  constructor(req: IncomingMessage, maxBytes: number, idleTimeoutMs: number, private readonly onBytes: (count: number) => void) {
    super();
    this.#maxBytes = maxBytes;
    this.#idleTimer = setTimeout(() => this.#fail(new GatewayError('request.timeout', { detail: `The request body stalled for more than ${idleTimeoutMs} ms.` })), idleTimeoutMs);
    this.#idleTimer.unref();
    req.pipe(this);
    req.once('close', () => {
      // The client went away before the body was complete: abort the upstream request too.
      if (!req.complete) this.destroy(new Error('client closed the connection before the body was complete'));
    });
    this.once('close', () => {
      clearTimeout(this.#idleTimer);
      req.unpipe(this);
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      this.#fail(new GatewayError('request.body_too_large', { detail: `The request body exceeds ${this.#maxBytes} bytes.` }));
      callback();
      return;
    }
    this.#idleTimer.refresh();
    this.onBytes(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.#idleTimer);
    callback();
  }

  #fail(error: GatewayError): void {
    if (this.failure || this.destroyed) return;
    this.failure = error;
    this.destroy(error);
  }
}
