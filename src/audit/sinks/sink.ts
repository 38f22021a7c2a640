/**
 * What an audit sink is: a place each committed audit record is streamed to, in `seq` order
 * (docs/audit.md, "Streaming to sinks"). A sink only sends; the deliverer (../sink-deliverer.ts)
 * decides what to send next from the sink's cursor in the store, retries, and tells block from
 * buffer. `deliver` resolves once the records are handed over as far as the transport can say so
 * (a file synced to disk, a 2xx answer, bytes written to the TLS socket), and rejects otherwise:
 * a rejected batch is sent again, whole, from the cursor (at least once).
 */

/**
 * One committed audit record as the sinks see it: audit-core's record (src/audit/record.ts) with
 * the fields a sink needs named; the rest is passed through as it is, so a sink never drops a field
 * a newer record version adds.
 */
export interface SinkRecord {
  readonly v: number;
  readonly seq: number;
  /** RFC 3339 time of the record. */
  readonly time: string;
  readonly action: string;
  readonly hash: string;
  readonly [field: string]: unknown;
}

export interface AuditSink {
  /** The sink's name in the config (`audit.sinks[].name`): its cursor, metrics and log lines use it. */
  readonly name: string;
  /** Sends `records` (1 or more, ascending `seq`, no gaps unless records were archived). */
  deliver(records: readonly SinkRecord[]): Promise<void>;
  /** Releases connections and files; waits for nothing the deliverer still needs. */
  close(): Promise<void>;
}

/** One record as a JSON text: the record exactly as the chain holds it, so a receiver can re-hash it. */
export function recordJson(record: SinkRecord): string {
  return JSON.stringify(record);
}

/** A sink that took part of a batch before failing: the cursor moves past what it took. */
export class PartialDeliveryError extends Error {
  constructor(
    readonly delivered: number,
    override readonly cause: unknown,
  ) {
    super(`delivered ${delivered} records, then failed`);
    this.name = 'PartialDeliveryError';
  }
}
