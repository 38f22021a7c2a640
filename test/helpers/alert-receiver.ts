/**
 * A local webhook receiver for alert notifications: verifies each Standard Webhooks signature with
 * the secret it is given (so a test fails on an unsigned or mis-signed message), keeps the payloads,
 * and can be switched to answer 503 (with Retry-After) to play a sink that is down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const ALERT_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
export const OLD_ALERT_SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

export interface ReceivedAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  sampleRequestIds: string[];
}

export interface ReceivedNotification {
  type: string;
  headers: Record<string, string>;
  signatures: string[];
  data: { id: string; status: 'firing' | 'resolved'; groupKey: string; groupLabels: Record<string, string>; severity: string; node: string; alerts: ReceivedAlert[] };
}

export interface AlertReceiver {
  url: string;
  port: number;
  received: ReceivedNotification[];
  /** Answers 503 (Retry-After: `retryAfter`) while false. */
  up: boolean;
  retryAfter: string | undefined;
  refused: number;
  close(): Promise<void>;
  /** Notifications whose alerts include `rule`. */
  about(rule: string): ReceivedNotification[];
}

export async function startAlertReceiver(secret = ALERT_SECRET): Promise<AlertReceiver> {
  const verifier = new Webhook(secret);
  let server: Server;
  const state: AlertReceiver = {
    url: '',
    port: 0,
    received: [],
    up: true,
    retryAfter: undefined,
    refused: 0,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    about: (rule) => state.received.filter((n) => n.data.alerts.some((alert) => alert.labels.alertname === rule)),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!state.up) {
        state.refused++;
        res.writeHead(503, state.retryAfter ? { 'retry-after': state.retryAfter } : {}).end();
        return;
      }
      const headers = req.headers as Record<string, string>;
      try {
        // Signed by the library at the webhook-timestamp the gateway's (injected) clock gave; the
        // library's verify() would also hold that time against this machine's clock.
        const body = Buffer.concat(chunks).toString('utf8');
        const expected = verifier.sign(headers['webhook-id']!, new Date(Number(headers['webhook-timestamp']) * 1000), body);
        if (!headers['webhook-signature']!.split(' ').includes(expected)) throw new Error('bad signature');
        const payload = JSON.parse(body) as Omit<ReceivedNotification, 'headers' | 'signatures'>;
        state.received.push({ ...payload, headers, signatures: headers['webhook-signature']!.split(' ') });
        res.writeHead(204).end();
      } catch {
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/alerts`;
  return state;
}
