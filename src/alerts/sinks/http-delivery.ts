/**
 * What the HTTP alert sinks (Slack, Microsoft Teams, PagerDuty) share: one JSON POST through the
 * gateway's outbound client (its egress guard sees every connection; docs/outbound.md), and the
 * mapping of the receiver's answer to an AlertDeliveryError the engine can act on.
 *
 * The URL of a Slack or Teams webhook *is* its credential (a token in the path, a `sig` in the
 * query), so nothing here ever puts a URL, a path, a header or a receiver's body into an error
 * message: a message names the sink, its type, and a status code or error code only.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../core/clock.js';
import type { Outbound } from '../../outbound/index.js';
import { OutboundRefusedError } from '../../outbound/index.js';
import { AlertDeliveryError } from '../notification.js';

/** A secret as the config hands it (config/secret.ts: a SecretValue): read at each use, so a rotated vault value is picked up. */
export interface SecretSource {
  reveal(): string;
}

/** Receiver answers that say "try again later" (RFC 9110 §15.5.9 408, RFC 6585 §4 429) besides every 5xx. */
const RETRYABLE_4XX = new Set([408, 429]);

/** The longest Retry-After taken from a receiver (a day): a hostile or broken answer cannot park the queue for a year. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date turned into seconds from
 * `nowMs`. Undefined when absent or malformed; a date in the past is 0; capped at one day.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  let seconds: number;
  if (/^[0-9]{1,10}$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const at = Date.parse(trimmed);
    if (!/^[A-Za-z]{3}, /.test(trimmed) || Number.isNaN(at)) return undefined;
    seconds = Math.max(0, Math.ceil((at - nowMs) / 1000));
  }
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

/** The error for a receiver's answer that is not 2xx: retryable for 408, 429 and 5xx; permanent for the rest (400, 401, 403, 404, 410 …). */
export function errorForStatus(label: string, status: number, retryAfter: string | string[] | undefined, nowMs: number): AlertDeliveryError {
  const retryable = status >= 500 || RETRYABLE_4XX.has(status);
  const after = retryable ? parseRetryAfter(retryAfter, nowMs) : undefined;
  return new AlertDeliveryError(`${label}: the receiver answered ${status}`, retryable, after);
}

/**
 * The error for a request that got no answer. An egress refusal (the destination is not declared,
 * or resolves to a blocked range) is permanent until the config changes; a network failure,
 * timeout or abort is retryable. Only the error's code goes into the message (undici's messages
 * can name the host and port; never the path, but the code is all the operator needs).
 */
export function errorForFailure(label: string, error: unknown): AlertDeliveryError {
  if (error instanceof AlertDeliveryError) return error;
  if (error instanceof OutboundRefusedError) return new AlertDeliveryError(`${label}: the connection was refused by the egress rules (docs/outbound.md)`, false);
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const what = typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'network error';
  return new AlertDeliveryError(`${label}: no answer from the receiver (${what})`, true);
}

export interface HttpTarget {
  /** Names the sink in errors: `slack sink "ops"`. */
  readonly label: string;
  /** `alerts.sinks.<name>`: the source under which the destination is declared to the egress guard. */
  readonly egressSource: string;
  readonly outbound: Outbound;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/**
 * POSTs `body` (a JSON text) to `url` and resolves on 2xx; throws AlertDeliveryError otherwise.
 * The destination (its origin only: the path may be a token) is declared to the egress guard
 * under `target.egressSource` before each send, since a vault value may change the URL; the
 * declaration is a no-op when unchanged. `signal` (the engine's) and `timeoutMs` both abort.
 */
export async function postJson(target: HttpTarget, url: string, body: string, signal: AbortSignal): Promise<void> {
  const problem = webhookUrlProblem(url);
  if (problem !== undefined) throw new AlertDeliveryError(`${target.label}: ${problem}`, false);
  const parsed = new URL(url);
  target.outbound.egress.declare(target.egressSource, [parsed.origin], 'operator');
  const dispatcher: Dispatcher = target.outbound.agent('alert-sink');
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin: parsed.origin,
      path: `${parsed.pathname}${parsed.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/plain;q=0.9, */*;q=0.1' },
      body,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
      signal: AbortSignal.any([signal, AbortSignal.timeout(target.timeoutMs)]),
    });
  } catch (error) {
    throw errorForFailure(target.label, error);
  }
  // The body is not needed (Slack's "ok", PagerDuty's status): reading it frees the connection.
  await response.body.dump().catch(() => {});
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw errorForStatus(target.label, response.statusCode, response.headers['retry-after'], target.clock.now());
  }
}

/** Why `url` must not be used (undefined when fine): https, or http to a loopback address only, so no token crosses a network in the clear; no user credentials. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the url is not a URL';
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) return 'the url must be https (http only to a loopback address)';
  if (parsed.username !== '' || parsed.password !== '') return 'the url must not hold user credentials';
  return undefined;
}

/** Reads a secret at send time; a secret that cannot be read (a vault reference whose secret is gone) is a retryable failure. */
export function revealFor(label: string, what: string, secret: SecretSource): string {
  try {
    return secret.reveal();
  } catch {
    throw new AlertDeliveryError(`${label}: its ${what} cannot be read (see the vault or the environment variable it names)`, true);
  }
}

/**
 * Checks a webhook URL when the sink is made, if it can be read yet (a `${secret:}` is bound to
 * the vault after the config loads): throws an Error naming the problem, never the URL. Each send
 * checks again (a vault value may change).
 */
export function checkUrlAtStart(label: string, url: SecretSource): void {
  let value: string;
  try {
    value = url.reveal();
  } catch {
    return;
  }
  const problem = webhookUrlProblem(value);
  if (problem !== undefined) throw new Error(`${label}: ${problem}`);
}
