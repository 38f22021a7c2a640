/**
 * The demo's alert receiver: what a team's own webhook endpoint does with the gateway's `webhook`
 * alert sink (docs/alerts.md#webhook). It verifies the Standard Webhooks signature (webhook-id,
 * webhook-timestamp, webhook-signature; the `standardwebhooks` library, which also refuses a
 * timestamp more than five minutes off) before it reads the body, and prints one line per alert:
 *
 *   ALERT firing upstream_down critical: upstream payments is down: all 1 targets failing
 *   ALERT resolved upstream_down critical: upstream payments is down: all 1 targets failing
 *
 * A body that does not verify is refused with 401 and printed as refused (never its content).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { readBoundedBody } from './read-body.js';

/** Larger bodies are refused (413): a notification of a few dozen alerts is far below it. */
const MAX_BODY_BYTES = 256 * 1024;

interface ReceivedAlert {
  status?: string;
  labels?: Record<string, string>;
  annotations?: { summary?: string };
}

/**
 * A request handler for POSTed notifications. `secret` is the sink's signing secret (whsec_…);
 * `print` gets each line (no newline).
 */
export function alertReceiver(secret: string, print: (line: string) => void): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const webhook = new Webhook(secret);
  return async (req, res) => {
    const body = await readBoundedBody(req, MAX_BODY_BYTES);
    if (body === undefined) return answer(res, 413);
    let payload: { data?: { alerts?: ReceivedAlert[] } };
    try {
      payload = webhook.verify(body, {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      }) as typeof payload;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      print(`ALERT refused: ${error.message} (webhook-id ${String(req.headers['webhook-id'] ?? 'none')})`);
      return answer(res, 401);
    }
    for (const alert of payload.data?.alerts ?? []) {
      const labels = alert.labels ?? {};
      print(`ALERT ${alert.status ?? '?'} ${labels.alertname ?? '?'} ${labels.severity ?? '?'}: ${alert.annotations?.summary ?? ''}`);
    }
    answer(res, 204);
  };
}

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0, connection: status === 413 ? 'close' : 'keep-alive' });
  res.end();
}
