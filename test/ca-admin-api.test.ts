/**
 * The private CA through the admin API (issue 25): GET /v1/ca, /v1/certificates (cursor pages) and
 * /v1/certificates/expiries answer exactly what the CA folder, its CRL and the gateway's listeners
 * hold; issuing and revoking answer 409 admin.ca_issuing_off unless pki.issuing names the CA key's
 * passphrase. With it on: a CSR made by openssl is issued for a consumer, the certificate opens an
 * mTLS route, and once revoked through the API the same listener refuses it at once (its CRL loaded
 * again), each change audited with the caller as actor; the passphrase appears in no log line.
 * On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../src/auth/x509.js';
import { ManualClock } from '../src/core/clock.js';
import { caIdOf, PrivateCa } from '../src/pki/private-ca.js';
import { normalizeSerial } from '../src/pki/revocation.js';
import { makeTestPki, type TestPki } from './helpers/certs.js';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, startUpstream, type TestUpstream } from './helpers/index.js';
import { ADMIN_TOKEN, KEY_ENV, startKeyGateway } from './helpers/keys.js';
import { postgresGatewayStore, skipWithoutPostgres } from './helpers/services.js';
import { httpsRequest, run } from './helpers/tls.js';

const DAY = 86_400_000;
const PASSPHRASE = 'correct horse battery staple 42';
const ENV = { ...KEY_ENV, PTC_CA_PASSPHRASE: PASSPHRASE };
const SUBJECT = 'CN=Admin API Partner CA, O=Example Bank';
const OFF_DETAIL = 'This gateway does not hold the CA key: issue and revoke with `portcullis certs issue` / `portcullis certs revoke --config …` on the CA host (pki.issuing opts in).';
const ON_DETAIL = 'This gateway issues from a CSR and revokes (pki.issuing): each needs a fresh second factor and is audited.';
const iso = (ms: number) => new Date(ms).toISOString();

const BACKENDS = [
  { name: 'SQLite', skip: false as const, open: async (work: string) => ({ store: { path: join(work, 'store.db'), pollIntervalMs: 100 }, env: {}, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    open: async () => {
      const pg = await postgresGatewayStore('CA_DATABASE_URL', 100);
      return { store: pg.store, env: { CA_DATABASE_URL: pg.url }, drop: pg.drop };
    },
  },
];

test('pki.issuing.caKey takes a secret reference only: a literal passphrase is refused at load, by its path, and not repeated', () => {
  const loaded = validateConfig(baseConfig(['http://127.0.0.1:9'], { pki: { caDir: '/var/lib/portcullis/ca', issuing: { caKey: PASSPHRASE } } }), {});
  assert.equal(loaded.ok, false);
  const issues = loaded.ok ? [] : loaded.issues.map(formatIssue);
  assert.ok(issues.some((issue) => issue.startsWith('pki.issuing.caKey: ') && issue.includes('${env:NAME}')), issues.join('\n'));
  assert.ok(!issues.some((issue) => issue.includes(PASSPHRASE)), 'the literal is not echoed');
});

for (const backend of BACKENDS) {
  describe(`the private CA through the admin API on ${backend.name}`, { skip: backend.skip }, () => {
    // The handshakes check validity against the real time: the CA starts now (whole seconds, as X.509 keeps them).
    const T0 = Math.floor(Date.now() / 1000) * 1000;
    let work: string;
    let caDir: string;
    let ca: PrivateCa;
    let tlsPki: TestPki;
    let upstream: TestUpstream;
    let storeConfig: Record<string, unknown>;
    let storeEnv: Record<string, string>;
    let drop: () => Promise<void>;
    const early: { serial?: string; fingerprint?: string } = {};
    let laterSerial = '';

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'portcullis-ca-api-'));
      caDir = join(work, 'ca');
      [tlsPki, upstream] = await Promise.all([makeTestPki(), startUpstream()]);
      ca = await PrivateCa.init({ dir: caDir, subject: SUBJECT, days: 3650, crlDays: 7, keyPassphraseEnv: 'PTC_CA_PASSPHRASE', env: ENV, now: T0 });
      // Issued on the CA host before the gateway knew it (issued.json), 20 days and 400 days.
      const first = await ca.issue({ consumerId: 'early-partner', days: 20, now: T0 });
      early.serial = first.record.serial;
      early.fingerprint = first.record.fingerprintSha256;
      laterSerial = (await ca.issue({ consumerId: 'later-partner', days: 400, now: T0 + 1000 })).record.serial;
      const opened = await backend.open(work);
      storeConfig = opened.store;
      storeEnv = opened.env;
      drop = opened.drop;
    });
    after(async () => {
      await upstream?.close();
      await drop?.();
    });

    test('without pki.issuing: the CA, its CRL, the issued certificates page by page and the expiries, exactly; issue and revoke answer 409 admin.ca_issuing_off', async () => {
      const clock = new ManualClock(T0);
      const gw = await startKeyGateway(upstream.url, { pki: { caDir }, certificateExpiry: { warningDays: 30 } }, { clock, store: storeConfig, env: { ...ENV, ...storeEnv } });
      try {
        const caReply = await gw.admin.call('GET', '/v1/ca');
        assert.equal(caReply.status, 200, caReply.text);
        assert.deepEqual(caReply.json(), {
          configured: true,
          certificate: {
            subject: SUBJECT,
            serial: normalizeSerial(ca.certificate.serialNumber),
            notBefore: iso(T0 - 60_000),
            notAfter: iso(T0 + 3650 * DAY),
            fingerprintSha256: caIdOf(ca.certificate),
            ledger: 'file',
            daysLeft: 3650,
          },
          crl: { crlNumber: T0, thisUpdate: iso(T0), nextUpdate: iso(T0 + 7 * DAY), revokedCount: 0, stale: false },
          issuing: { enabled: false, detail: OFF_DETAIL },
        });

        const first = await gw.admin.call('GET', '/v1/certificates?limit=1');
        assert.equal(first.status, 200, first.text);
        const page1 = first.json<{ items: unknown[]; nextCursor: string | null }>();
        assert.deepEqual(page1.items, [
          { serial: early.serial, consumerId: 'early-partner', subject: 'CN=early-partner', fingerprintSha256: early.fingerprint, notBefore: iso(T0 - 60_000), notAfter: iso(T0 + 20 * DAY), status: 'active', revokedAt: null, daysLeft: 20 },
        ]);
        assert.equal(typeof page1.nextCursor, 'string');
        const second = (await gw.admin.call('GET', `/v1/certificates?limit=1&cursor=${page1.nextCursor}`)).json<{ items: Array<{ serial: string; daysLeft: number }>; nextCursor: string | null }>();
        assert.deepEqual([second.items.map((item) => [item.serial, item.daysLeft]), second.nextCursor], [[[laterSerial, 400]], null]);
        assertProblem(await gw.admin.call('GET', '/v1/certificates?cursor=not-ours'), 400, 'admin.invalid_request');
        assert.deepEqual((await gw.admin.call('GET', '/v1/certificates?status=revoked')).json(), { items: [], nextCursor: null });

        // No TLS listener here: the CA and its CRL (7 days: within the 30-day warning).
        assert.deepEqual((await gw.admin.call('GET', '/v1/certificates/expiries')).json(), {
          warningDays: 30,
          items: [
            { kind: 'crl', name: caDir, subject: SUBJECT, serial: '', notAfter: iso(T0 + 7 * DAY), daysLeft: 7, state: 'expiring' },
            { kind: 'ca', name: caDir, subject: SUBJECT, serial: normalizeSerial(ca.certificate.serialNumber), notAfter: iso(T0 + 3650 * DAY), daysLeft: 3650, state: 'ok' },
          ],
        });

        const consumer = await gw.admin.consumer('acme');
        const offIssue = assertProblem(await gw.admin.call('POST', '/v1/certificates', { consumerId: consumer, csr: '-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n' }), 409, 'admin.ca_issuing_off');
        assert.equal(offIssue.detail, OFF_DETAIL);
        assertProblem(await gw.admin.call('POST', `/v1/certificates/${early.serial}/revoke`, {}), 409, 'admin.ca_issuing_off');
        assertProblem(await gw.admin.call('POST', '/v1/ca/crl', {}), 409, 'admin.ca_issuing_off');
        assert.equal(await gw.gateway.renewCrl(), 'off', 'without the key the gateway renews nothing');
        assert.equal(JSON.parse(readFileSync(join(caDir, 'ca.json'), 'utf8')).ledger, undefined, 'nothing was moved or opened');

        // Past nextUpdate the CRL is stale: partners' revocation status is unknown.
        clock.advance(7 * DAY);
        assert.deepEqual(
          (await gw.admin.call('GET', '/v1/ca')).json<{ crl: unknown }>().crl,
          { crlNumber: T0, thisUpdate: iso(T0), nextUpdate: iso(T0 + 7 * DAY), revokedCount: 0, stale: true },
        );
      } finally {
        await gw.close();
      }
    });

    test('with pki.issuing: a CSR made by openssl is issued, opens an mTLS route, and once revoked through the API is refused at once; both audited', async () => {
      const clock = new ManualClock(T0 + 5000);
      const partners = {
        name: 'partners',
        host: '127.0.0.1',
        port: 0,
        // An hour between CRL refreshes: only the reload a revocation triggers can refuse the certificate.
        tls: { certFile: tlsPki.serverCert, keyFile: tlsPki.serverKey, clientCertificates: { mode: 'optional', caFiles: [join(caDir, 'chain.pem')], crl: { files: [join(caDir, 'crl.pem')], refreshSeconds: 3600 } } },
      };
      const gw = await startKeyGateway(
        upstream.url,
        { listeners: [partners], pki: { caDir, issuing: { caKey: '${env:PTC_CA_PASSPHRASE}' } }, policies: { 'auth-mtls': { consumerUri: { issuers: [SUBJECT] } } } },
        { clock, store: storeConfig, env: { ...ENV, ...storeEnv } },
      );
      try {
        assert.deepEqual((await gw.admin.call('GET', '/v1/ca')).json<{ issuing: unknown }>().issuing, { enabled: true, detail: ON_DETAIL });
        const consumer = await gw.admin.consumer('acme-issued');
        const key = join(work, `acme-${backend.name}.key`);
        const csrFile = join(work, `acme-${backend.name}.csr`);
        const made = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=acme-partner/O=Acme', '-out', csrFile]);
        assert.equal(made.code, 0, made.stderr);
        const csr = readFileSync(csrFile, 'utf8');

        assertProblem(await gw.admin.call('POST', '/v1/certificates', { consumerId: consumer, csr: 'not a certificate request' }), 400, 'admin.invalid_request');
        assertProblem(await gw.admin.call('POST', '/v1/certificates', { consumerId: 'con_nobody', csr }), 404, 'admin.not_found');

        const issued = await gw.admin.call('POST', '/v1/certificates', { consumerId: consumer, csr, days: 30 });
        assert.equal(issued.status, 201, issued.text);
        const body = issued.json<{ certificate: { serial: string; fingerprintSha256: string }; certificatePem: string }>();
        const leaf = new x509.X509Certificate(body.certificatePem);
        assert.deepEqual(body.certificate, {
          serial: normalizeSerial(leaf.serialNumber),
          consumerId: consumer,
          subject: 'CN=acme-partner, O=Acme',
          fingerprintSha256: body.certificate.fingerprintSha256,
          notBefore: iso(T0 + 5000 - 60_000),
          notAfter: iso(T0 + 5000 + 30 * DAY),
          status: 'active',
          revokedAt: null,
          daysLeft: 30,
        });
        assert.ok(leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON().some((name) => name.value === `urn:portcullis:consumer:${consumer}`));
        // The gateway keeps the records in its store from now on (the folder's moved there first).
        const listed = (await gw.admin.call('GET', '/v1/certificates')).json<{ items: Array<{ serial: string; consumerId: string }> }>();
        assert.deepEqual(listed.items.map((item) => [item.serial, item.consumerId]), [
          [early.serial, 'early-partner'],
          [laterSerial, 'later-partner'],
          [body.certificate.serial, consumer],
        ]);
        assert.equal((await gw.admin.call('GET', '/v1/ca')).json<{ certificate: { ledger: string } }>().certificate.ledger, 'store');

        const call = () => httpsRequest(`${gw.gateway.url('partners')}/v1/payments`, { ca: tlsPki.rootCa, cert: body.certificatePem, key });
        const allowed = await call();
        assert.equal(allowed.status, 200, allowed.text);
        assert.equal(allowed.json<{ headers: Record<string, string> }>().headers['x-consumer-id'], consumer);

        assertProblem(await gw.admin.call('POST', '/v1/certificates/abcdef0123/revoke', {}), 404, 'admin.not_found');
        const revoked = await gw.admin.call('POST', `/v1/certificates/${body.certificate.serial}/revoke`, {});
        assert.equal(revoked.status, 200, revoked.text);
        assert.deepEqual(revoked.json<{ certificate: { status: string; revokedAt: string } }>().certificate, { ...body.certificate, status: 'revoked', revokedAt: iso(T0 + 5000) });
        assertProblem(await call(), 401, 'auth.client_cert_revoked');
        const crl = (await gw.admin.call('GET', '/v1/ca')).json<{ crl: { revokedCount: number; stale: boolean } }>().crl;
        assert.deepEqual([crl.revokedCount, crl.stale], [1, false]);

        const changes = await gw.gateway.services.store!.db.selectFrom('changes').select(['entity', 'actor_kind', 'action']).where('entity', 'in', ['certificate', 'crl']).orderBy('revision').execute();
        assert.deepEqual(
          changes.map((row) => [row.entity, row.actor_kind, row.action]),
          [
            ['certificate', 'bootstrap-token', 'certificate.import'],
            ['certificate', 'bootstrap-token', 'certificate.import'],
            ['crl', 'bootstrap-token', 'certificate.import'],
            ['certificate', 'bootstrap-token', 'certificate.issue'],
            ['certificate', 'bootstrap-token', 'certificate.revoke'],
            ['crl', 'bootstrap-token', 'certificate.revoke'],
          ],
        );

        // Eight days on, the CRL (crlDays 7) is stale; the gateway holding the key signs a fresh one.
        clock.advance(8 * DAY);
        const before = (await gw.admin.call('GET', '/v1/ca')).json<{ crl: { crlNumber: number; stale: boolean } }>().crl;
        assert.equal(before.stale, true);
        const signed = await gw.admin.call('POST', '/v1/ca/crl', {});
        assert.equal(signed.status, 200, signed.text);
        const fresh = signed.json<{ crl: { crlNumber: number; thisUpdate: string; nextUpdate: string; revokedCount: number; stale: boolean } }>().crl;
        assert.deepEqual({ ...fresh, crlNumber: undefined }, { crlNumber: undefined, thisUpdate: iso(T0 + 5000 + 8 * DAY), nextUpdate: iso(T0 + 5000 + 15 * DAY), revokedCount: 1, stale: false });
        assert.ok(fresh.crlNumber > before.crlNumber, 'the CRL Number increases (RFC 5280 §5.2.3)');
        assert.deepEqual((await gw.admin.call('GET', '/v1/ca')).json<{ crl: unknown }>().crl, fresh);
        assertProblem(await call(), 401, 'auth.client_cert_revoked');
        const signedChange = await gw.gateway.services.store!.db.selectFrom('changes').select(['entity', 'actor_kind', 'action']).orderBy('revision', 'desc').limit(1).executeTakeFirstOrThrow();
        assert.deepEqual([signedChange.entity, signedChange.actor_kind, signedChange.action], ['crl', 'bootstrap-token', 'crl.sign']);

        // The gateway renews it itself once half its validity (3.5 of 7 days) has passed.
        assert.equal(await gw.gateway.renewCrl(), 'fresh');
        clock.advance(3 * DAY);
        assert.equal(await gw.gateway.renewCrl(), 'fresh');
        clock.advance(DAY);
        assert.equal(await gw.gateway.renewCrl(), 'renewed');
        const renewed = (await gw.admin.call('GET', '/v1/ca')).json<{ crl: { crlNumber: number; thisUpdate: string; nextUpdate: string; revokedCount: number } }>().crl;
        assert.deepEqual([renewed.thisUpdate, renewed.nextUpdate, renewed.revokedCount], [iso(clock.now()), iso(clock.now() + 7 * DAY), 1]);
        assert.ok(renewed.crlNumber > fresh.crlNumber);
        assert.equal((await gw.logs.waitFor((record) => record.event === 'crl.renewed')).revoked, 1);
        assertProblem(await call(), 401, 'auth.client_cert_revoked');
        const byGateway = await gw.gateway.services.store!.db.selectFrom('changes').select(['entity', 'actor_kind', 'actor_id', 'action']).orderBy('revision', 'desc').limit(1).executeTakeFirstOrThrow();
        assert.deepEqual([byGateway.entity, byGateway.actor_kind, byGateway.actor_id, byGateway.action], ['crl', 'system', 'gateway', 'crl.sign']);
        assert.doesNotMatch(gw.logs.text(), new RegExp(PASSPHRASE), 'the CA passphrase is in no log line');
        assert.doesNotMatch(gw.logs.text(), new RegExp(ADMIN_TOKEN));
      } finally {
        await gw.close();
      }
    });

    test('with a wrong pki.issuing.caKey the key does not open: 409 admin.ca_issuing_off says so without the secret, and nothing is issued', async () => {
      const wrong = 'not the passphrase of this CA 0000';
      // Long after every CRL signed so far lapsed: the renewal is due.
      const gw = await startKeyGateway(upstream.url, { pki: { caDir, issuing: { caKey: '${env:PTC_WRONG_PASSPHRASE}' } } }, { clock: new ManualClock(T0 + 60 * DAY), store: storeConfig, env: { ...ENV, ...storeEnv, PTC_WRONG_PASSPHRASE: wrong } });
      try {
        const consumer = await gw.admin.consumer('acme-wrong-key');
        const before = (await gw.admin.call('GET', '/v1/certificates')).json<{ items: unknown[] }>().items.length;
        const reply = await gw.admin.call('POST', '/v1/certificates', { consumerId: consumer, csr: readFileSync(join(work, `acme-${backend.name}.csr`), 'utf8') });
        const problem = assertProblem(reply, 409, 'admin.ca_issuing_off');
        assert.match(String(problem.detail), /^The CA key cannot be opened with pki\.issuing\.caKey: /);
        assert.ok(!reply.text.includes(wrong) && !gw.logs.text().includes(wrong), 'the secret is neither answered nor logged');
        assert.equal((await gw.admin.call('GET', '/v1/certificates')).json<{ items: unknown[] }>().items.length, before);
        // The renewal cannot open the key either: said, counted by background_task_failed, never the secret.
        assert.equal(await gw.gateway.renewCrl(), 'failed');
        const failed = await gw.logs.waitFor((record) => record.event === 'crl.renew_failed');
        assert.equal(failed.level, 'error');
        assert.ok(!gw.logs.text().includes(wrong), 'the secret is not logged');
      } finally {
        await gw.close();
      }
    });
  });
}
