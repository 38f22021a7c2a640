/**
 * One request's exchange with an upstream through undici's dispatch API: the gateway's own
 * handler receives the response head and body chunks, rather than undici's `request()` wrapping
 * them in a promise, an AsyncResource and a Readable per response that the gateway then pipes.
 * The body goes one of three ways once the head is in (the respond phase runs in between, its
 * chunks held meanwhile, up to a bound past which the upstream is paused):
 * - straight into the client's response (`deliver`), pausing the upstream while the client's
 *   socket is full: the hot path, for routes with no policy that reads response bodies;
 * - as a Readable (`readable`) for the response-body seam (response-body.ts), which decodes,
 *   reads or transforms it;
 * - nowhere: `ignoreBody` for responses without content, `discard` for a refused one.
 * One listener on the client's response stands for the client: if it goes away before the
 * response is over, the upstream request is aborted and the access log says clientAborted.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';

/** Status and headers of an upstream response (informational 1xx heads are not reported). */
export interface UpstreamHead {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
}

/** Bytes of body held while the respond phase runs before the upstream is paused. */
const HELD_BYTES_BEFORE_PAUSE = 64 * 1024;

/**
 * waiting: request sent (or queued), no head yet, the head promise pending; holding: head in, its
 * body held until the gateway says where it goes; direct, readable: going there; dropped: going
 * nowhere (a response without content, a refused one, or a client gone).
 */
type Mode = 'waiting' | 'holding' | 'direct' | 'readable' | 'dropped';

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  /** The client went away before its response was over. */
  clientLeft = false;
  #mode: Mode = 'waiting';
  #controller: Dispatcher.DispatchController | undefined;
  #resolveHead: ((head: UpstreamHead) => void) | undefined;
  #rejectHead: ((error: Error) => void) | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #ended = false;
  #failure: Error | undefined;
  #readable: Readable | undefined;
  /** Why the request is to be aborted as soon as it is on a connection (it was still queued). */
  #pendingAbort: Error | undefined;

  /** The target of the attempt in flight, for the log. */
  #origin = '';

  constructor(
    private readonly ctx: RequestContext,
    private readonly res: ServerResponse,
  ) {
    res.once('close', this.#onResponseClose);
  }

  /**
   * Sends one attempt of the request on `dispatcher`. Resolves with the response head; rejects
   * with undici's error (connect failure, headers timeout, refusal by the connect hook, abort
   * because the client left) when no head came.
   */
  send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, origin: string): Promise<UpstreamHead> {
    this.#origin = origin;
    this.#mode = 'waiting';
    this.#ended = false;
    this.#failure = undefined;
    this.#controller = undefined;
    return new Promise<UpstreamHead>((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
      dispatcher.dispatch(options, this);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx heads (RFC 9110 §15.2) are the upstream's business with this hop, not the client's.
    if (statusCode < 200 || this.#mode !== 'waiting') return;
    this.#controller = controller;
    this.#mode = 'holding';
    const resolve = this.#resolveHead!;
    this.#resolveHead = this.#rejectHead = undefined;
    resolve({ statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    switch (this.#mode) {
      case 'direct':
        this.ctx.bytesOut += chunk.length;
        if (!this.res.write(chunk)) {
          controller.pause();
          this.res.once('drain', this.#onDrain);
        }
        return;
      case 'holding':
        this.#held.push(chunk);
        this.#heldBytes += chunk.length;
        if (this.#heldBytes >= HELD_BYTES_BEFORE_PAUSE) controller.pause();
        return;
      case 'readable':
        if (!this.#readable!.push(chunk)) controller.pause();
        return;
      default:
        return;
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#mode === 'direct') this.res.end();
    else if (this.#mode === 'readable') this.#readable!.push(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    switch (this.#mode) {
      case 'waiting': {
        const reject = this.#rejectHead;
        this.#resolveHead = this.#rejectHead = undefined;
        reject?.(error);
        return;
      }
      case 'holding':
        this.#failure = error;
        return;
      case 'direct':
        this.#failMidStream(error);
        return;
      case 'readable':
        this.#readable!.destroy(error);
        return;
      default:
        return;
    }
  }

  /** After the head is written: sends the body as it comes, straight into the client's response. */
  deliver(): void {
    if (this.#mode !== 'holding') return;
    const res = this.res;
    if (res.destroyed) return this.discard();
    this.#mode = 'direct';
    const held = this.#held;
    this.#held = [];
    if (this.#ended && held.length === 1) {
      // The whole body came with the head: one write with it.
      this.ctx.bytesOut += held[0]!.length;
      res.end(held[0]);
      return;
    }
    for (const chunk of held) {
      this.ctx.bytesOut += chunk.length;
      res.write(chunk);
    }
    if (this.#failure) this.#failMidStream(this.#failure);
    else if (this.#ended) res.end();
    else if (this.#controller?.paused && !res.writableNeedDrain) this.#controller.resume();
    else if (res.writableNeedDrain) res.once('drain', this.#onDrain);
  }

  /** The body as a stream, for the response-body seam; ends or fails as the upstream's body does. */
  readable(): Readable {
    if (this.#readable) return this.#readable;
    const readable = new Readable({
      read: () => this.#controller?.resume(),
      destroy: (error, callback) => {
        // Destroyed before the end (the seam discards it, or a stage failed): stop the upstream too.
        if (!this.#ended) this.#abort(error ?? new undiciErrors.RequestAbortedError());
        callback(error);
      },
    });
    this.#readable = readable;
    this.#mode = 'readable';
    for (const chunk of this.#held) readable.push(chunk);
    this.#held = [];
    if (this.#failure) readable.destroy(this.#failure);
    else if (this.#ended) readable.push(null);
    return readable;
  }

  /** A response without content (HEAD, 204, 304): whatever undici reports of a body is not the client's business. */
  ignoreBody(): void {
    this.#mode = 'dropped';
    this.#held = [];
    this.#controller?.resume();
  }

  /** A response that will not be sent (a policy refused it): frees the upstream connection. */
  discard(): void {
    this.#mode = 'dropped';
    this.#held = [];
    if (!this.#ended) this.#abort(new undiciErrors.RequestAbortedError());
    this.#readable?.destroy();
  }

  #abort(reason: Error): void {
    if (this.#controller) {
      if (!this.#controller.aborted) this.#controller.abort(reason);
    } else this.#pendingAbort = reason;
  }

  readonly #onDrain = (): void => {
    if (this.#mode === 'direct') this.#controller?.resume();
  };

  /** The one listener on the client's response: a close before the end means the client left. */
  readonly #onResponseClose = (): void => {
    if (this.res.writableFinished) return;
    this.clientLeft = true;
    if (this.#mode === 'direct' || this.#mode === 'holding') this.ctx.logFields.clientAborted = true;
    // While waiting for the head, the mode stays: the abort below then rejects send()'s promise,
    // so the proxy sees the client gone instead of waiting for ever.
    if (this.#mode !== 'readable' && this.#mode !== 'waiting') this.#mode = 'dropped';
    this.#held = [];
    if (!this.#ended) this.#abort(new undiciErrors.RequestAbortedError());
  };

  /** The head is sent, so no problem can follow: the client sees a cut-off body. Say why in the log. */
  #failMidStream(error: Error & { code?: string }): void {
    this.#mode = 'dropped';
    this.ctx.error = new GatewayError(error.code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream.timeout' : 'upstream.unavailable', {
      internal: `response body from ${this.#origin} failed mid-stream: ${error.message}`,
    });
    this.res.destroy();
  }
}
