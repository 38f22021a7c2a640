/**
 * The webhook sink: each record is POSTed as JSON, signed per Standard Webhooks
 * (https://www.standardwebhooks.com): `webhook-id` (stable across retries of one record, so the
 * receiver drops a repeat), `webhook-timestamp` (seconds, the time of this attempt) and
 * `webhook-signature` (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the shared
 * secret), computed by the `standardwebhooks` library. The request goes through the gateway's
 * outbound client (connect hook, hardened TLS). Any answer but 2xx, or no answer within
 * `timeoutMs`, fails the batch.
 */
import type { Dispatcher } from 'undici';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../../core/clock.js';
import { PartialDeliveryError, recordJson, type AuditSink, type SinkRecord } from './sink.js';

export interface WebhookSinkOptions {
  readonly name: string;
  readonly url: string;
  /** The Standard Webhooks secret, `whsec_` + base64 of 24 to 64 random bytes. */
  readonly secret: string;
  /** From the gateway's Outbound; closed by the sink when `ownsDispatcher`. */
  readonly dispatcher: Dispatcher;
  readonly ownsDispatcher: boolean;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/** The secret's shape (Standard Webhooks, "Signature scheme"); checked when the sink is made, never logged. */
const SECRET_SHAPE = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export class WebhookRejectedError extends Error {
  constructor(readonly status: number) {
    super(`the webhook answered ${status}`);
    this.name = 'WebhookRejectedError';
  }
}

/** Throws when the secret is not a Standard Webhooks secret (the message never holds it). */
export function checkWebhookSecret(secret: string): void {
  if (!SECRET_SHAPE.test(secret) || Buffer.from(secret.slice('whsec_'.length), 'base64').length < 24) {
    throw new Error('the webhook secret must be whsec_ followed by the base64 of 24 to 64 random bytes');
  }
}

/** The id of one record's message: the same for every retry of it, different for every record of every chain. */
export function webhookMessageId(record: SinkRecord): string {
  return `audit_${record.seq}_${record.hash.slice(0, 16)}`;
}

export function createWebhookSink(options: WebhookSinkOptions): AuditSink {
  checkWebhookSecret(options.secret);
  const signer = new Webhook(options.secret);
  const url = new URL(options.url);

  async function post(record: SinkRecord): Promise<void> {
    const body = `{"type":"audit.record","timestamp":${JSON.stringify(record.time)},"data":${recordJson(record)}}`;
    const id = webhookMessageId(record);
    const sentAt = new Date(options.clock.now());
    const response = await options.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signer.sign(id, sentAt, body),
      },
      body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The answer's body is not used; reading it frees the connection for the next record.
    await response.body.dump();
    if (response.statusCode < 200 || response.statusCode > 299) throw new WebhookRejectedError(response.statusCode);
  }

  return {
    name: options.name,
    async deliver(records: readonly SinkRecord[]): Promise<void> {
      for (const [index, record] of records.entries()) {
        try {
          await post(record);
        } catch (error) {
          throw index === 0 ? error : new PartialDeliveryError(index, error);
        }
      }
    },
    async close(): Promise<void> {
      if (options.ownsDispatcher) await options.dispatcher.close();
    },
  };
}
