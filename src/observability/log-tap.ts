/**
 * A tap on the logger's catalogued events (core/log-events.ts): the alert engine counts the events
 * it watches (a refused reload, a failed admin login, a CRL past its nextUpdate) in memory, from
 * the same record the log line is written from, so every alertable event is alertable without a
 * log pipeline. Listeners run synchronously inside the log call and must only count: they never
 * log, throw or wait. Access lines are written by their own writer (access-line.ts) and are not
 * tapped: the request path pays nothing for this.
 */

/** What a listener gets: the event's name and the record's fields (read only; may hold anything the line holds). */
export type LogEventListener = (event: string, fields: Readonly<Record<string, unknown>>) => void;

export class LogEventTap {
  readonly #listeners = new Set<LogEventListener>();

  /** Adds a listener; the function returned removes it. */
  subscribe(listener: LogEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hands a logged record to every listener (a listener that throws is skipped, never the log line). */
  emit(record: Readonly<Record<string, unknown>>): void {
    if (this.#listeners.size === 0 || typeof record.event !== 'string') return;
    for (const listener of this.#listeners) {
      try {
        listener(record.event, record);
      } catch {
        // A counting bug must not cost the log line it was fed from.
      }
    }
  }
}
