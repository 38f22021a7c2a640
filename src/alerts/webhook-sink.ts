/**
 * The `webhook` alert sink: each notification is POSTed as JSON, signed per Standard Webhooks
 * (https://www.standardwebhooks.com, as the audit webhook sink does, audit/sinks/webhook-sink.ts):
 * `webhook-id` is the notification's id (the same for every retry, so a receiver drops a repeat),
 * `webhook-timestamp` the seconds of this attempt, `webhook-signature` one `v1,<base64 HMAC-SHA256>`
 * per secret, space-separated: during a rotation both the new and the retiring secret sign, and a
 * receiver holding either verifies ("Signature scheme": several signatures may be sent). The
 * signatures are computed by the `standardwebhooks` library. Secrets are read at each send (a
 * `${secret:}` reference follows the vault's promoted version) and never appear in an error.
 *
 * Answers: 2xx delivered; 408, 425, 429 and 5xx retryable (with Retry-After, RFC 9110 §10.2.3);
 * any other status a permanent refusal; no answer within `timeoutMs` or a network error retryable.
 */
import type { Dispatcher } from 'undici';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../core/clock.js';
import { checkWebhookSecret } from '../audit/sinks/webhook-sink.js';
import { AlertDeliveryError, type AlertNotification, type AlertSink } from './notification.js';
import { notificationJson } from './payload.js';

export interface WebhookAlertSinkOptions {
  readonly name: string;
  readonly url: string;
  /** The signing secrets, current first (a retiring one second), read at each send. */
  readonly secrets: () => readonly string[];
  /** From the gateway's Outbound (egress checks, hardened TLS); closed by the sink. */
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/** 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Retry-After as seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP-date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (/^\d{1,9}$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export function createWebhookAlertSink(options: WebhookAlertSinkOptions): AlertSink {
  for (const secret of options.secrets()) checkWebhookSecret(secret);
  const url = new URL(options.url);
  return {
    name: options.name,
    type: 'webhook',
    async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
      const body = notificationJson(notification);
      const sentAt = new Date(options.clock.now());
      const signature = options
        .secrets()
        .map((secret) => new Webhook(secret).sign(notification.id, sentAt, body))
        .join(' ');
      let response: Dispatcher.ResponseData;
      try {
        response = await options.dispatcher.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': notification.id,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        });
      } catch (error) {
        // The message names the failure's kind only: an undici error may quote the URL.
        const code = (error as { code?: unknown }).code;
        throw new AlertDeliveryError(`the webhook did not answer (${typeof code === 'string' ? code : (error as Error).name})`, true);
      }
      await response.body.dump();
      const status = response.statusCode;
      if (status >= 200 && status <= 299) return;
      throw new AlertDeliveryError(`the webhook answered ${status}`, isRetryableStatus(status), retryAfterSeconds(response.headers['retry-after'], options.clock.now()));
    },
    async close(): Promise<void> {
      await options.dispatcher.close();
    },
  };
}
