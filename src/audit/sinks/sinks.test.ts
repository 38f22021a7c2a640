/**
 * The three audit sinks against real receivers: a TLS syslog collector (certificates generated
 * here) that splits RFC 5425 frames and parses each message with an independent RFC 5424 parser
 * (nsyslog-parser), an HTTP receiver that verifies Standard Webhooks signatures with the
 * standardwebhooks library, and a JSON-lines file.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { readFileSync, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { Webhook } from 'standardwebhooks';
import { systemClock } from '../../core/clock.js';
import { Outbound, OutboundRefusedError } from '../../outbound/index.js';
import { makeTestPki, type TestPki } from '../../../test/helpers/certs.js';
import { openSink } from '../open-sinks.js';
import { createJsonLinesSink } from './jsonl-sink.js';
import { PartialDeliveryError, type SinkRecord } from './sink.js';
import { WebhookRejectedError, webhookMessageId } from './webhook-sink.js';
import { Writable } from 'node:stream';

const parseSyslog = createRequire(import.meta.url)('nsyslog-parser') as (line: string) => { prival: number; facilityval: number; levelval: number; type: string; host: string; appName: string; pid: string; messageid: string; structuredData: Array<Record<string, string>>; message: string };

const record = (seq: number, extra: Record<string, unknown> = {}): SinkRecord => ({
  v: 1,
  seq,
  time: new Date(Date.UTC(2026, 10, 30, 12, 0, seq)).toISOString(),
  actor: { type: 'admin-token', id: 'tok_1' },
  action: 'api_key.revoke',
  target: { kind: 'api_key', id: `key${seq}` },
  outcome: 'success',
  prevHash: 'a'.repeat(64),
  hash: `${String(seq).padStart(4, '0')}${'b'.repeat(60)}`,
  ...extra,
});

const stdoutSink = new Writable({ write: (_chunk, _encoding, done) => done() });

/** Splits an RFC 5425 stream into its complete messages: "LEN SP MSG" repeated (§4.3). */
function splitFrames(data: Buffer): string[] {
  const messages: string[] = [];
  let offset = 0;
  for (;;) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) return messages;
    const length = Number(data.subarray(offset, space).toString('ascii'));
    assert.ok(/^[1-9][0-9]*$/.test(data.subarray(offset, space).toString('ascii')), `a frame starts with its length, at ${offset}`);
    if (space + 1 + length > data.length) return messages;
    messages.push(data.subarray(space + 1, space + 1 + length).toString('utf8'));
    offset = space + 1 + length;
  }
}

describe('audit sinks', () => {
  let pki: TestPki;
  const outbound = new Outbound();
  before(async () => {
    pki = await makeTestPki();
  });
  after(() => outbound.close());

  describe('syslog over TLS (RFC 5425)', () => {
    async function collector(options: { requestCert?: boolean } = {}) {
      const received: Buffer[] = [];
      const peers: Array<string | undefined> = [];
      let waiters: Array<() => void> = [];
      const server = createTlsServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), ca: options.requestCert ? readFileSync(pki.caBundle) : undefined, requestCert: options.requestCert ?? false, rejectUnauthorized: options.requestCert ?? false }, (socket: TLSSocket) => {
        const cn = socket.getPeerCertificate()?.subject?.CN;
        peers.push(Array.isArray(cn) ? cn[0] : cn);
        socket.on('data', (chunk: Buffer) => {
          received.push(chunk);
          for (const wake of waiters) wake();
          waiters = [];
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        port: (server.address() as AddressInfo).port,
        peers,
        async messages(count: number): Promise<string[]> {
          for (;;) {
            const messages = splitFrames(Buffer.concat(received));
            if (messages.length >= count) return messages;
            await new Promise<void>((resolve) => waiters.push(resolve));
          }
        },
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }

    test('sends each record as an RFC 5424 message in an octet-counted frame that a syslog parser reads back', async () => {
      const server = await collector();
      const sink = openSink({ name: 'siem', type: 'syslog', host: '127.0.0.1', port: server.port, caFile: pki.caBundle, hostname: 'gw-1', onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink });
      const records = [record(1), record(2, { outcome: 'denied', changes: { note: 'quote " and ] and \\ and ünïcode' } })];
      await sink.deliver(records);
      const messages = await server.messages(2);
      assert.equal(messages.length, 2);
      for (const [index, message] of messages.entries()) {
        const parsed = parseSyslog(message);
        assert.equal(parsed.type, 'RFC5424');
        assert.equal(parsed.facilityval, 13, 'facility 13: log audit');
        assert.equal(parsed.levelval, index === 0 ? 6 : 4, 'informational for success, warning otherwise');
        assert.equal(parsed.host, 'gw-1');
        assert.equal(parsed.appName, 'portcullis');
        assert.equal(parsed.messageid, 'api_key.revoke');
        assert.equal(parsed.structuredData[0]!['$id'], 'portcullis@32473');
        assert.equal(parsed.structuredData[0]!['seq'], String(records[index]!.seq));
        // MSG is the BOM and the record's JSON exactly: a receiver can re-hash it.
        const body = message.slice(message.indexOf('\uFEFF') + 1);
        assert.deepEqual(JSON.parse(body), records[index]);
      }
      await sink.close();
      await server.close();
    });

    test('presents the configured client certificate to a collector that requires one', async () => {
      const server = await collector({ requestCert: true });
      const sink = openSink({ name: 'siem', type: 'syslog', host: 'localhost', port: server.port, caFile: pki.caBundle, certFile: pki.client.cert, keyFile: pki.client.key, onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink });
      await sink.deliver([record(7)]);
      await server.messages(1);
      assert.deepEqual(server.peers, ['acme-payments']);
      await sink.close();
      await server.close();
    });

    test('refuses a collector whose certificate the configured CA did not issue', async () => {
      const server = await collector();
      const otherCa = join(mkdtempSync(join(tmpdir(), 'portcullis-ca-')), 'other.pem');
      await import('node:fs').then((fs) => fs.writeFileSync(otherCa, pki.otherCa.certPem));
      const sink = openSink({ name: 'siem', type: 'syslog', host: '127.0.0.1', port: server.port, caFile: otherCa, onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink });
      await assert.rejects(sink.deliver([record(1)]), (error: NodeJS.ErrnoException) => /CERT|certificate|SIGNATURE|ISSUER/i.test(`${error.code} ${error.message}`));
      await sink.close();
      await server.close();
    });

    test('connects through the gateway\'s connect hook, which can refuse the collector', async () => {
      const refusing = new Outbound({
        hook: (connection) => {
          if (connection.purpose === 'audit-sink') throw new OutboundRefusedError(connection, 'egress denied in this test');
        },
      });
      const sink = openSink({ name: 'siem', type: 'syslog', host: '127.0.0.1', port: 6514, onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound: refusing, clock: systemClock, stdout: stdoutSink });
      await assert.rejects(sink.deliver([record(1)]), OutboundRefusedError);
      await sink.close();
      await refusing.close();
    });
  });

  describe('webhook (Standard Webhooks)', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    async function receiver(answer: (seq: number) => number) {
      const got: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          got.push({ headers: req.headers, body });
          const seq = (JSON.parse(body) as { data: { seq: number } }).data.seq;
          res.writeHead(answer(seq)).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit?x=1`;
      return { url, got, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }

    test('POSTs each record with a signature the receiver verifies, and a stable webhook-id', async () => {
      const server = await receiver(() => 204);
      const sink = openSink({ name: 'hook', type: 'webhook', url: server.url, secret: { reveal: () => secret } as never, onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink });
      await sink.deliver([record(1), record(2)]);
      assert.equal(server.got.length, 2);
      const verifier = new Webhook(secret);
      for (const [index, { headers, body }] of server.got.entries()) {
        const payload = verifier.verify(body, headers as Record<string, string>) as { type: string; data: SinkRecord };
        assert.equal(payload.type, 'audit.record');
        assert.deepEqual(payload.data, record(index + 1));
        assert.equal(headers['webhook-id'], webhookMessageId(record(index + 1)));
      }
      // A body changed on the way fails the receiver's check.
      const first = server.got[0]!;
      assert.throws(() => verifier.verify(first.body.replace('api_key.revoke', 'api_key.create'), first.headers as Record<string, string>));
      assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(first.body, first.headers as Record<string, string>), 'another secret does not verify');
      await sink.close();
      await server.close();
    });

    test('fails a batch at the first record not answered 2xx, saying how many went through', async () => {
      const server = await receiver((seq) => (seq === 3 ? 503 : 200));
      const sink = openSink({ name: 'hook', type: 'webhook', url: server.url, secret: { reveal: () => secret } as never, onFailure: 'buffer', batchSize: 100, maxBacklogRecords: 10, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink });
      await assert.rejects(sink.deliver([record(1), record(2), record(3), record(4)]), (error: unknown) => error instanceof PartialDeliveryError && error.delivered === 2 && error.cause instanceof WebhookRejectedError && error.cause.status === 503);
      await assert.rejects(sink.deliver([record(3)]), WebhookRejectedError);
      await sink.close();
      await server.close();
    });

    test('refuses a secret that is not a Standard Webhooks secret, without echoing it', () => {
      assert.throws(
        () => openSink({ name: 'hook', type: 'webhook', url: 'https://example.test/', secret: { reveal: () => 'hunter2-plain' } as never, onFailure: 'buffer', batchSize: 1, maxBacklogRecords: 1, pollIntervalMs: 1000, retryMinMs: 10, retryMaxMs: 10 }, { outbound, clock: systemClock, stdout: stdoutSink }),
        (error: Error) => /whsec_/.test(error.message) && !error.message.includes('hunter2'),
      );
    });
  });

  test('a JSON-lines file gets one record per line, appended, readable only by its owner', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'portcullis-jsonl-')), 'sub', 'audit.jsonl');
    const sink = createJsonLinesSink({ name: 'file', target: { path } });
    await sink.deliver([record(1), record(2)]);
    await sink.deliver([record(3)]);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as SinkRecord).seq), [1, 2, 3]);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
