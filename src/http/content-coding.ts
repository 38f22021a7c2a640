/**
 * HTTP content codings (RFC 9110 §8.4, §12.5.3) as far as the gateway decodes them: parsing
 * `Content-Encoding`, narrowing `Accept-Encoding` to what it can decode, and decoding gzip,
 * deflate (zlib-wrapped or raw, as browsers accept both) and br with node:zlib. No codec is
 * written here; zstd (no decoder in Node 20) and unknown codings are reported, never guessed at.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

/** The codings the gateway decodes, by their canonical name (`x-gzip` is gzip, RFC 9110 §8.4.1.3). */
export type DecodableCoding = 'gzip' | 'deflate' | 'br';

const CANONICAL: Readonly<Record<string, DecodableCoding>> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br' };

/** Most codings stacked on one body that are decoded; more is refused (each layer costs a pass). */
export const MAX_STACKED_CODINGS = 3;

export type ParsedCodings =
  | { readonly ok: true; readonly codings: readonly DecodableCoding[] }
  | { readonly ok: false; readonly coding: string };

/**
 * The codings of a `Content-Encoding` field value, in the order they were applied (RFC 9110
 * §8.4: `gzip, br` is gzip, then br). `identity` and empty elements are skipped, so an absent or
 * identity header gives `[]`. Not ok with the first coding that is not decodable (zstd, compress,
 * an unknown name) or when more than MAX_STACKED_CODINGS are stacked.
 */
export function parseContentEncoding(value: string | string[] | undefined): ParsedCodings {
  if (value === undefined) return { ok: true, codings: [] };
  const codings: DecodableCoding[] = [];
  for (const element of String(value).split(',')) {
    const name = element.trim().toLowerCase();
    if (name === '' || name === 'identity') continue;
    const coding = CANONICAL[name];
    if (coding === undefined) return { ok: false, coding: name };
    codings.push(coding);
  }
  if (codings.length > MAX_STACKED_CODINGS) return { ok: false, coding: codings.join(', ') };
  return { ok: true, codings };
}

/** The codings offered upstream when a body must be decoded, in the gateway's order of preference. */
const OFFERED = ['gzip', 'deflate', 'br'] as const;

/**
 * The `Accept-Encoding` to send upstream when the gateway must decode the response: the client's
 * own preferences (RFC 9110 §12.5.3: codings with their q-values, in its order) restricted to
 * gzip, x-gzip, deflate, br and identity; `*` stands for those of them the client did not name.
 * `identity` when the client sent no header (any coding would then be acceptable to it, but it
 * cannot be assumed to decode one) or accepts none of them.
 */
export function narrowAcceptEncoding(value: string | string[] | undefined): string {
  if (value === undefined) return 'identity';
  const kept: string[] = [];
  const named = new Set<string>();
  let wildcard: string | undefined;
  let acceptsOne = false;
  for (const element of String(value).split(',')) {
    const [rawName, ...params] = element.split(';');
    const name = rawName!.trim().toLowerCase();
    if (name === '') continue;
    const q = qValue(params);
    if (q === undefined) continue;
    if (name === '*') {
      wildcard = q;
      continue;
    }
    if (name !== 'identity' && CANONICAL[name] === undefined) continue;
    named.add(name === 'x-gzip' ? 'gzip' : name);
    kept.push(q === '1' ? name : `${name};q=${q}`);
    if (Number(q) > 0) acceptsOne = true;
  }
  if (wildcard !== undefined) {
    for (const name of OFFERED) {
      if (named.has(name)) continue;
      kept.push(wildcard === '1' ? name : `${name};q=${wildcard}`);
      if (Number(wildcard) > 0) acceptsOne = true;
    }
  }
  return acceptsOne ? kept.join(', ') : 'identity';
}

/** The q-value of an element as written (`1` when absent); undefined when it is malformed (RFC 9110 §12.4.2). */
function qValue(params: string[]): string | undefined {
  let q = '1';
  for (const param of params) {
    const [key, val] = param.split('=');
    if (key?.trim().toLowerCase() !== 'q') continue;
    const text = val?.trim() ?? '';
    if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return undefined;
    q = text;
  }
  return q;
}

/**
 * A deflate body is zlib-wrapped (RFC 1950) as RFC 9110 §8.4.1.2 says, but servers have long sent
 * raw deflate (RFC 1951) under the same name and browsers accept both: a zlib header is a CMF byte
 * naming deflate with a window of at most 32 KiB, and a check value making CMF·256+FLG a multiple of 31.
 */
function isZlibWrapped(first: number, second: number): boolean {
  return (first & 0x0f) === 8 && first >> 4 <= 7 && (first * 256 + second) % 31 === 0;
}

function createDecoderFor(coding: DecodableCoding, head: Buffer): zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress {
  if (coding === 'gzip') return zlib.createGunzip();
  if (coding === 'br') return zlib.createBrotliDecompress();
  return head.length >= 2 && isZlibWrapped(head[0]!, head[1]!) ? zlib.createInflate() : zlib.createInflateRaw();
}

/** Why a body could not be decoded: more than the limit, or not a valid body in its coding. */
export class DecodeError extends Error {
  constructor(
    readonly reason: 'too_large' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decodes a whole body, undoing its codings last-applied first, each stage capped at maxBytes of
 * output (a decompression bomb stops there). Bytes after the end of a coded stream are refused:
 * decoders disagree about them (some ignore them, some fail), and the gateway must read exactly
 * what the client will. Throws DecodeError.
 */
export async function decodeBody(raw: Buffer, codings: readonly DecodableCoding[], maxBytes: number): Promise<Buffer> {
  // An empty body has nothing to decode (some servers label even that with their coding).
  if (raw.length === 0) return raw;
  let body = raw;
  for (let index = codings.length - 1; index >= 0; index--) body = await decodeOne(body, codings[index]!, maxBytes);
  return body;
}

function decodeOne(input: Buffer, coding: DecodableCoding, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const decoder = createDecoderFor(coding, input);
    const chunks: Buffer[] = [];
    let size = 0;
    decoder.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        decoder.destroy();
        reject(new DecodeError('too_large', `${coding} body decodes to more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    decoder.once('error', (error) => reject(new DecodeError('invalid', `${coding} body does not decode: ${error.message}`)));
    decoder.once('end', () => {
      if (decoder.bytesWritten !== input.length) reject(new DecodeError('invalid', `${coding} body has ${input.length - decoder.bytesWritten} bytes after its end`));
      else resolve(Buffer.concat(chunks, size));
    });
    decoder.end(input);
  });
}

/**
 * A stream that decodes one coding (the deflate variant is chosen from the first two bytes).
 * Output past maxBytes fails the stream with DecodeError('too_large'): a transformed body is
 * streamed, but a bomb must not keep the gateway decoding for the client.
 */
export function createDecodeStream(coding: DecodableCoding, maxBytes: number): Transform {
  return new DecodeStream(coding, maxBytes);
}

class DecodeStream extends Transform {
  private decoder: ReturnType<typeof createDecoderFor> | undefined;
  private head = Buffer.alloc(0);
  private produced = 0;
  private written = 0;

  constructor(
    private readonly coding: DecodableCoding,
    private readonly maxBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.written += chunk.length;
    if (this.decoder) {
      this.decoder.write(chunk, () => callback());
      return;
    }
    // Wait for two bytes before choosing between zlib-wrapped and raw deflate.
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < 2 && this.coding === 'deflate') return callback();
    this.start().write(this.head, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    let decoder = this.decoder;
    if (!decoder) {
      decoder = this.start();
      if (this.head.length > 0) decoder.write(this.head);
    }
    const finish = () => {
      if (decoder.bytesWritten !== this.written) callback(new DecodeError('invalid', `${this.coding} body has ${this.written - decoder.bytesWritten} bytes after its end`));
      else callback();
    };
    // The coded stream may have ended before its input did (bytes after its end).
    if (decoder.readableEnded) finish();
    else decoder.once('end', finish);
    decoder.end();
  }

  private start(): ReturnType<typeof createDecoderFor> {
    const decoder = createDecoderFor(this.coding, this.head);
    this.decoder = decoder;
    decoder.on('data', (chunk: Buffer) => {
      this.produced += chunk.length;
      if (this.produced > this.maxBytes) {
        decoder.destroy();
        this.destroy(new DecodeError('too_large', `${this.coding} body decodes to more than ${this.maxBytes} bytes`));
        return;
      }
      this.push(chunk);
    });
    decoder.once('error', (error) => this.destroy(new DecodeError('invalid', `${this.coding} body does not decode: ${error.message}`)));
    return decoder;
  }
}
