/**
 * The JSON-lines sink: one record per line (https://jsonlines.org), appended to a file or written
 * to standard output. A file batch counts as delivered only once it is synced (fdatasync), so a
 * crash right after the cursor moved cannot lose records the cursor says were delivered; a line
 * may appear twice after a crash between the sync and the cursor update (at least once: a reader
 * drops repeated `seq`s). The file is opened for each batch, so a log rotation that moves it away
 * is followed at the next batch.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { recordJson, type AuditSink, type SinkRecord } from './sink.js';

export interface JsonLinesSinkOptions {
  readonly name: string;
  /** A file path (created 0600, appended to), or a stream (the process's standard output). */
  readonly target: { readonly path: string } | { readonly stream: Writable };
}

export function createJsonLinesSink(options: JsonLinesSinkOptions): AuditSink {
  const target = options.target;
  return {
    name: options.name,
    async deliver(records: readonly SinkRecord[]): Promise<void> {
      const text = records.map((record) => `${recordJson(record)}\n`).join('');
      if ('stream' in target) {
        await new Promise<void>((resolve, reject) => target.stream.write(text, (error) => (error ? reject(error) : resolve())));
        return;
      }
      await mkdir(dirname(target.path), { recursive: true });
      const handle = await open(target.path, 'a', 0o600);
      try {
        await handle.appendFile(text);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    },
    async close(): Promise<void> {},
  };
}
