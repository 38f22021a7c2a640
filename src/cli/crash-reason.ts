/** One line saying why the gateway could not start, for standard error. */
import { redactText } from '../observability/crash-report.js';

/** The error's message on one line, bounded, with secrets redacted. */
export function crashReason(error: unknown, secrets: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactText(message.replace(/\s+/g, ' ').slice(0, 500), secrets);
}
