/**
 * Reading a fetched body whole, up to a bound: a responder or CRL server that sends without end
 * must cost us at most `maxBytes` of memory, never the heap.
 */
import type { Dispatcher } from 'undici';

/**
 * The body's bytes; past `maxBytes` the body is destroyed and an Error with `tooLargeMessage`
 * is thrown.
 */
export async function readCappedBody(body: Dispatcher.ResponseData['body'], maxBytes: number, tooLargeMessage: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new Error(tooLargeMessage);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
