/**
 * The e-mail sink against a local SMTP server (the smtp-server package) with a certificate made
 * in the test: STARTTLS is required and happens before AUTH and the message; the message, parsed
 * back with mailparser, has the documented subject, text and HTML; SMTP replies map to retryable
 * or permanent AlertDeliveryErrors; the password never appears in one; the egress guard sees the
 * connection.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { SecretValue } from '../../core/secret-value.js';
import { Outbound, OutboundRefusedError } from '../../outbound/index.js';
import { makeTestPki, type TestPki } from '../../../test/helpers/certs.js';
import { firingNotification, hostileNotification } from '../../../test/helpers/alert-notifications.js';
import { AlertDeliveryError, type AlertSink } from '../notification.js';
import { createEmailSink, type EmailSinkOptions } from './email.js';
import { renderEmail } from './email-render.js';

const PASSWORD = 'smtpPASSWORDsecret-0123456789';

interface Delivery {
  secure: boolean;
  mail: ParsedMail;
  envelope: { from: string; to: string[] };
}

interface Server {
  port: number;
  deliveries: Delivery[];
  /** Whether the connection was TLS when AUTH arrived, per AUTH. */
  authOverTls: boolean[];
  close(): Promise<void>;
}

async function smtpServer(pki: TestPki, options: Partial<SMTPServerOptions> = {}): Promise<Server> {
  const deliveries: Delivery[] = [];
  const authOverTls: boolean[] = [];
  const server = new SMTPServer({
    key: readFileSync(pki.serverKey),
    cert: pki.serverCertPem,
    logger: false,
    disabledCommands: [],
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, callback) {
      authOverTls.push(session.secure);
      if (auth.username === 'alerts' && auth.password === PASSWORD) return callback(null, { user: 'alerts' });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          deliveries.push({ secure: session.secure, mail, envelope: { from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) } });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    deliveries,
    authOverTls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function failure(sink: AlertSink): Promise<AlertDeliveryError> {
  const error = await sink.send(firingNotification, new AbortController().signal).then(
    () => assert.fail('expected the send to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof AlertDeliveryError, `an AlertDeliveryError, got ${String(error)}`);
  const shown = [String(error), inspect(error, { depth: 5 }), JSON.stringify(error)].join('\n');
  assert.ok(!shown.includes(PASSWORD), `the error shows the password: ${shown}`);
  return error;
}

describe('e-mail alert sink', () => {
  let pki: TestPki;
  let server: Server;
  const outbound = new Outbound();
  let base: Omit<EmailSinkOptions, 'name'>;

  before(async () => {
    pki = await makeTestPki();
    server = await smtpServer(pki);
    base = { host: 'localhost', port: server.port, username: 'alerts', password: new SecretValue(PASSWORD, '${secret:smtp}'), from: 'Portcullis <alerts@portcullis.example>', to: ['oncall@portcullis.example', 'ops@portcullis.example'], ca: readFileSync(pki.caBundle, 'utf8'), outbound, timeoutMs: 5000 };
  });
  after(async () => {
    await server.close();
    await outbound.close();
  });

  test('sends over STARTTLS (AUTH and the message only after it) a text and HTML message with the documented content', async () => {
    const sink = createEmailSink({ name: 'mail', ...base });
    await sink.send(firingNotification, new AbortController().signal);
    assert.equal(server.deliveries.length, 1);
    const { secure, mail, envelope } = server.deliveries[0]!;
    assert.equal(secure, true, 'the message went over the upgraded connection');
    assert.deepEqual(server.authOverTls, [true], 'AUTH came after STARTTLS');
    assert.deepEqual(envelope, { from: 'alerts@portcullis.example', to: ['oncall@portcullis.example', 'ops@portcullis.example'] });
    const expected = renderEmail(firingNotification);
    assert.equal(mail.subject, '[critical] [FIRING] route_error_ratio: 2 alerts (upstream=core)');
    assert.equal(mail.subject, expected.subject);
    assert.equal(mail.text?.trim(), expected.text.trim());
    assert.equal(typeof mail.html, 'string');
    assert.equal((mail.html as string).trim(), expected.html.trim());
    assert.match(mail.text!, /^Severity: critical$/m);
    assert.match(mail.text!, /^Where: upstream=core$/m);
    assert.match(mail.text!, /^Since: 2026-11-30T12:00:00.000Z$/m);
    assert.match(mail.text!, /^Sample request ids: req_8f2a, req_91c3, req_a001$/m);
    assert.match(mail.text!, /^Runbook: https:\/\/portcullis.example\/docs\/alerts.md#route_error_ratio$/m);
    assert.ok((mail.html as string).includes('<a href="https://portcullis.example/docs/alerts.md#route_error_ratio">Runbook</a>'));
    assert.equal(mail.headers.get('x-portcullis-notification-id'), firingNotification.id);
    assert.equal(mail.from?.text, '"Portcullis" <alerts@portcullis.example>');
  });

  test('HTML-escapes every value: a summary cannot inject markup', async () => {
    const { html } = renderEmail(hostileNotification);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;'));
    assert.ok(html.includes('route=&lt;b&gt;r&lt;/b&gt;'));
    assert.ok(!html.includes('<script>'));
  });

  test('refuses to send when the server does not offer STARTTLS: nothing, not even AUTH, goes in the clear', async () => {
    // The server does not know STARTTLS at all, and would take AUTH in the clear.
    const plain = await smtpServer(pki, { disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
    try {
      const error = await failure(createEmailSink({ name: 'mail', ...base, port: plain.port }));
      assert.equal(error.retryable, false);
      assert.equal(plain.deliveries.length, 0);
      assert.deepEqual(plain.authOverTls, []);
    } finally {
      await plain.close();
    }
  });

  test('refuses a server certificate that does not verify (no CA given: the system CAs do not know the test CA)', async () => {
    const { ca: _ca, ...withoutCa } = base;
    const error = await failure(createEmailSink({ name: 'mail', ...withoutCa }));
    assert.equal(error.retryable, false);
    assert.match(error.message, /^email sink "mail": the SMTP server's certificate did not verify \([A-Z_]+\)$/);
  });

  test('with egress enforced, the sink declares its SMTP server and delivers; an undeclared server is refused', async () => {
    const guarded = new Outbound();
    guarded.egress.setPolicy({ mode: 'enforce', destinations: [] });
    try {
      const before = server.deliveries.length;
      const sink = createEmailSink({ name: 'mail', ...base, outbound: guarded });
      await sink.send(firingNotification, new AbortController().signal);
      assert.equal(server.deliveries.length, before + 1);
      // Once the declaration names another server, the same connection is refused before a byte is sent.
      guarded.egress.declare('alerts.sinks.mail', ['http://smtp.example.com:587'], 'operator');
      const refused = await failure(sink);
      assert.equal(refused.retryable, false);
      assert.match(refused.message, /refused by the egress rules/);
      assert.equal(server.deliveries.length, before + 1);
    } finally {
      await guarded.close();
    }
  });

  test('implicit TLS (security: tls) delivers over a connection that is TLS from the first byte', async () => {
    const tlsServer = await smtpServer(pki, { secure: true });
    try {
      await createEmailSink({ name: 'mail', ...base, port: tlsServer.port, security: 'tls' }).send(firingNotification, new AbortController().signal);
      assert.equal(tlsServer.deliveries.length, 1);
      assert.equal(tlsServer.deliveries[0]!.secure, true);
    } finally {
      await tlsServer.close();
    }
  });

  test('SMTP replies: 535 on AUTH and 550 on RCPT are permanent, 451 is retryable; the password is in no message', async () => {
    const wrong = await failure(createEmailSink({ name: 'mail', ...base, password: new SecretValue('wrong-password', 'r') }));
    assert.equal(wrong.retryable, false);
    assert.equal(wrong.message, 'email sink "mail": the SMTP server answered 535 (EAUTH)');
    for (const [code, retryable] of [[451, true], [550, false]] as const) {
      const refusing = await smtpServer(pki, {
        onRcptTo(_address, _session, callback) {
          callback(Object.assign(new Error(`refused with ${PASSWORD}`), { responseCode: code }));
        },
      });
      try {
        const error = await failure(createEmailSink({ name: 'mail', ...base, port: refusing.port }));
        assert.equal(error.retryable, retryable, `${code}`);
        assert.equal(error.message, `email sink "mail": the SMTP server answered ${code} (EENVELOPE)`);
      } finally {
        await refusing.close();
      }
    }
  });

  test('a server that is not listening is retryable; the connection passes the egress guard, whose refusal is permanent', async () => {
    const gone = await smtpServer(pki);
    await gone.close();
    const down = await failure(createEmailSink({ name: 'mail', ...base, port: gone.port }));
    assert.equal(down.retryable, true);
    assert.equal(down.message, 'email sink "mail": no answer from the SMTP server (ECONNREFUSED)');
    const seen: string[] = [];
    const refusing = new Outbound({
      hook: (connection) => {
        seen.push(`${connection.purpose} ${connection.host}:${connection.port} ${connection.protocol}`);
        throw new OutboundRefusedError(connection, 'refused by the test');
      },
    });
    try {
      const refused = await failure(createEmailSink({ name: 'mail', ...base, outbound: refusing }));
      assert.equal(refused.retryable, false);
      assert.match(refused.message, /refused by the egress rules/);
      assert.deepEqual(seen, [`alert-sink localhost:${server.port} http:`]);
    } finally {
      await refusing.close();
    }
  });
});
