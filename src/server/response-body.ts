/**
 * The response-body seam (core/response-body.ts) over an upstream body: lazy, so a body no
 * respond-phase policy touches is piped through byte for byte, undecoded and unbuffered (the hot
 * path). A body that was read but not changed is sent as the raw bytes that were decoded for the
 * reader, so a validator sees exactly what the client will decode. A changed body goes out
 * without content coding, with framing and validator headers made true for it.
 */
import type { ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import type { HeaderMap, RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { ResponseBody } from '../core/response-body.js';
import { createDecodeStream, decodeBody, DecodeError, parseContentEncoding, type DecodableCoding } from '../http/content-coding.js';

/**
 * Most decoded bytes streamed through a transform: past it the response is cut off (its head is
 * sent) and logged as upstream.response_too_large, so a decompression bomb cannot keep the gateway
 * decoding. Bodies a policy reads whole are capped by the policy's own limit.
 */
export const MAX_STREAMED_DECODED_BYTES = 256 * 1024 * 1024;

/** Headers that describe the upstream's exact bytes, wrong for any other body (RFC 9110 §8.8.3; RFC 9530). */
const REPRESENTATION_HEADERS = ['content-encoding', 'etag', 'content-md5', 'content-digest', 'repr-digest', 'digest'];

interface PeekedBody {
  readonly chunks: Buffer[];
  /** The whole body was read (false: it is larger than asked, and paused after the chunks read). */
  readonly complete: boolean;
  readonly error?: Error & { code?: string };
}

/** A response that has no content (HEAD, 204, 304; RFC 9110 §6.4.1): reads as empty, nothing to change. */
export const EMPTY_RESPONSE_BODY: ResponseBody = Object.freeze({
  read: () => Promise.resolve(Buffer.alloc(0)),
  replace: () => {},
  transform: () => {},
});

/**
 * The body seam of a route with no respond-phase policy that reads bodies (PolicyHandlers.
 * respondReadsBody): the body streams from the upstream to the client untouched, so a policy that
 * reaches for it anyway breaks that contract and fails loudly (500) rather than reading nothing.
 */
export const UNREAD_RESPONSE_BODY: ResponseBody = Object.freeze({
  read: () => Promise.reject(undeclaredRead()),
  replace: () => {
    throw undeclaredRead();
  },
  transform: () => {
    throw undeclaredRead();
  },
});

function undeclaredRead(): Error {
  return new Error('a respond-phase policy used the response body without declaring respondReadsBody');
}

export class UpstreamResponseBody implements ResponseBody {
  private peeked: Promise<PeekedBody> | undefined;
  private reading: Promise<Buffer | undefined> | undefined;
  private replacement: Buffer | undefined;
  private readonly stages: Duplex[] = [];
  /** The upstream's Content-Encoding: the headers lose it once a policy changes the body. */
  private readonly receivedCoding: string | string[] | undefined;

  constructor(
    private readonly ctx: RequestContext,
    private readonly body: Readable,
    /** The head's headers (the same object the respond phase edits and the gateway sends). */
    private readonly headers: HeaderMap,
    private readonly origin: string,
    private readonly maxStreamedDecodedBytes = MAX_STREAMED_DECODED_BYTES,
  ) {
    this.receivedCoding = headers['content-encoding'];
  }

  read(maxBytes: number): Promise<Buffer | undefined> {
    if (this.replacement) return Promise.resolve(this.replacement);
    this.reading ??= this.readOnce(maxBytes);
    return this.reading;
  }

  replace(body: Buffer): void {
    this.codings();
    this.replacement = body;
    this.representationChanged();
    if (this.stages.length === 0) this.headers['content-length'] = String(body.length);
  }

  transform(stage: Duplex): void {
    this.codings();
    this.stages.push(stage);
    this.representationChanged();
    delete this.headers['content-length'];
  }

  /** Frees the upstream connection of a response that will not be sent (a policy refused it). */
  discard(): void {
    // undici reports the destruction of an unread body as an error: expected here.
    this.body.on('error', () => {});
    this.body.destroy();
    for (const stage of this.stages) stage.destroy();
  }

  /** Sends the body after the head: as received, or as the policies changed it. */
  async deliver(res: ServerResponse): Promise<void> {
    if (this.stages.length === 0) {
      if (this.replacement === undefined) return this.deliverReceived(res);
      this.ctx.bytesOut += this.replacement.length;
      return endWith(res, this.replacement);
    }
    const chain = this.replacement !== undefined ? [Readable.from([this.replacement])] : await this.decodedChain();
    for (const stage of this.stages) chain.push(chain.at(-1)!.pipe(stage));
    return this.pipeTo(chain.at(-1)!, res, chain);
  }

  private codings(): readonly DecodableCoding[] {
    const parsed = parseContentEncoding(this.receivedCoding);
    if (parsed.ok) return parsed.codings;
    throw new GatewayError('upstream.content_encoding_unsupported', {
      detail: 'The upstream answered in a content coding the gateway cannot decode.',
      internal: `${this.origin} sent Content-Encoding "${String(this.receivedCoding)}" (${parsed.coding} is not decodable)`,
    });
  }

  private async readOnce(maxBytes: number): Promise<Buffer | undefined> {
    const codings = this.codings();
    // A declared length over the limit is not worth reading: the body streams unread.
    if (Number(this.headers['content-length']) > maxBytes) return undefined;
    this.peeked ??= peekBody(this.body, maxBytes);
    const read = await this.peeked;
    if (!read.complete) return undefined;
    const raw = Buffer.concat(read.chunks);
    if (codings.length === 0) return raw;
    try {
      return await decodeBody(raw, codings, maxBytes);
    } catch (error) {
      throw this.decodeFailure(error);
    }
  }

  private decodeFailure(error: unknown): GatewayError {
    if (error instanceof DecodeError && error.reason === 'too_large') {
      return new GatewayError('upstream.response_too_large', { detail: 'The upstream response is larger than the gateway reads once decoded.', internal: `${this.origin}: ${error.message}` });
    }
    return new GatewayError('upstream.content_encoding_invalid', { detail: 'The upstream response body is not valid in its content coding.', internal: `${this.origin}: ${(error as Error).message}` });
  }

  /** The body now differs from the upstream's representation: no coding, no validators of the old one. */
  private representationChanged(): void {
    for (const name of REPRESENTATION_HEADERS) delete this.headers[name];
    // Other clients (other Accept-Encoding) may get the upstream's coded bytes: caches must tell them apart.
    if (this.codings().length > 0) addVary(this.headers, 'accept-encoding');
  }

  /** The decoded body as a chain of streams (each may fail): from memory if it was read, else decoded as it arrives. */
  private async decodedChain(): Promise<Readable[]> {
    // A read that failed was answered already (the policy chose to go on): decode again, and fail mid-stream.
    const decoded = await this.reading?.catch(() => undefined);
    if (decoded) return [Readable.from([decoded])];
    const read = this.peeked && (await this.peeked);
    const chain: Readable[] = [!read ? this.body : Readable.from(read.error ? failingAfter(read.chunks, read.error) : chunksThen(read.chunks, this.body))];
    const codings = this.codings();
    for (let index = codings.length - 1; index >= 0; index--) chain.push(chain.at(-1)!.pipe(createDecodeStream(codings[index]!, this.maxStreamedDecodedBytes)));
    return chain;
  }

  private async deliverReceived(res: ServerResponse): Promise<void> {
    const read = this.peeked && (await this.peeked);
    if (read?.complete) {
      const whole = Buffer.concat(read.chunks);
      this.ctx.bytesOut += whole.length;
      return endWith(res, whole);
    }
    for (const chunk of read?.chunks ?? []) {
      this.ctx.bytesOut += chunk.length;
      res.write(chunk);
    }
    if (read?.error) {
      this.failMidStream(read.error, res);
      return;
    }
    return this.pipeTo(this.body, res, [this.body]);
  }

  /**
   * Pipes `from` into the client's response; `parts` are every stream of the chain, each of which
   * may fail. pipe() rather than stream.pipeline(): the latter allocates and fires an
   * AbortController per call.
   */
  private pipeTo(from: Readable, res: ServerResponse, parts: readonly Readable[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let failed = false;
      from.on('data', (chunk: Buffer) => {
        this.ctx.bytesOut += chunk.length;
      });
      const fail = (error: Error & { code?: string }) => {
        if (failed) return;
        failed = true;
        this.failMidStream(error, res);
        resolve();
      };
      for (const part of parts) part.once('error', fail);
      res.once('close', () => {
        if (!res.writableFinished && !failed) {
          this.ctx.logFields.clientAborted = true;
          for (const part of parts) part.destroy();
        }
        resolve();
      });
      from.pipe(res);
    });
  }

  /** The head is sent, so no problem can follow: the client sees a cut-off body. Say why in the log. */
  private failMidStream(error: Error & { code?: string }, res: ServerResponse): void {
    this.ctx.error =
      error instanceof DecodeError
        ? this.decodeFailure(error)
        : new GatewayError(error.code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream.timeout' : 'upstream.unavailable', {
            internal: `response body from ${this.origin} failed mid-stream: ${error.message}`,
          });
    this.body.destroy();
    res.destroy();
  }
}

/** Reads a response body up to maxBytes; pauses it when it is larger. */
function peekBody(body: Readable, maxBytes: number): Promise<PeekedBody> {
  // While paused between this read and the piping, an error must not go unhandled.
  body.on('error', () => {});
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean, error?: Error) => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      if (!complete && !error) body.pause();
      resolve({ chunks, complete, error });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onError = (error: Error) => done(false, error);
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

async function* chunksThen(chunks: readonly Buffer[], rest: Readable): AsyncGenerator<Buffer> {
  yield* chunks;
  for await (const chunk of rest) yield chunk as Buffer;
}

async function* failingAfter(chunks: readonly Buffer[], error: Error): AsyncGenerator<Buffer> {
  yield* chunks;
  throw error;
}

function endWith(res: ServerResponse, body: Buffer): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    res.once('close', resolve);
    res.end(body);
  });
}

/** Adds a field name to Vary unless it is there or Vary is `*` (RFC 9110 §12.5.5). */
function addVary(headers: HeaderMap, name: string): void {
  const current = headers.vary === undefined ? '' : String(headers.vary);
  const names = current.split(',').map((part) => part.trim().toLowerCase());
  if (names.includes('*') || names.includes(name)) return;
  headers.vary = current.trim() === '' ? name : `${current}, ${name}`;
}
