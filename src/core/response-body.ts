/**
 * The response-body seam as respond-phase policies see it (ctx.response.body): the upstream's body
 * decoded from its content coding (RFC 9110 §8.4), to read, replace, or transform as a stream.
 * The gateway keeps the framing and validator headers true for whatever is sent: a body no policy
 * touched goes out byte for byte as the upstream sent it; a changed one goes out without content
 * coding, with its own Content-Length (or chunked) and no ETag of the old representation.
 */
import type { Duplex } from 'node:stream';

export interface ResponseBody {
  /**
   * Reads the whole body into memory, decoded, once (later calls share the first read). Resolves
   * undefined when the body as received is larger than maxBytes (by Content-Length, or once more
   * has arrived): it is then sent on unread. Rejects with a GatewayError, answered as a 502:
   * `upstream.content_encoding_unsupported` for a coding the gateway cannot decode,
   * `upstream.response_too_large` when a coded body decodes to more than maxBytes (a decompression
   * bomb), `upstream.content_encoding_invalid` when it is not valid in its coding. After
   * replace(): the replacement.
   */
  read(maxBytes: number): Promise<Buffer | undefined>;
  /**
   * Sends `body` (decoded bytes) instead of the upstream's: without Content-Encoding, with its own
   * Content-Length; ETag and digests of the old representation are dropped (RFC 9110 §8.8.3).
   */
  replace(body: Buffer): void;
  /**
   * Streams the decoded body through `stage` (after any earlier stages) instead of sending it as
   * is: for bodies too large to hold. The response goes without Content-Encoding and chunked;
   * ETag and digests are dropped. A coding that cannot be decoded fails as read() does.
   */
  transform(stage: Duplex): void;
}
