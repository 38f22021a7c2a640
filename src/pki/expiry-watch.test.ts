import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { ManualClock } from '../core/clock.js';
import { createLogger } from '../observability/logger.js';
import { LogCapture } from '../../test/helpers/index.js';
import { ExpiryWatch, type KnownCertificate } from './expiry-watch.js';

const DAY = 86400000;

function setup(certificates: KnownCertificate[]) {
  const clock = new ManualClock();
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', redactHeaders: [] }, logs);
  const registry = new Registry();
  const gauge = new Gauge({ name: 'portcullis_certificate_expiry_seconds', help: 'h', labelNames: ['kind', 'name', 'subject', 'serial'] as const, registers: [registry] });
  const watch = new ExpiryWatch(() => certificates, { warningDays: 30, checkIntervalHours: 24, clock, logger: () => logger, gauge });
  return { clock, logs, registry, watch };
}

test('warns about a certificate expiring within warningDays and one already expired, with the metric for each', async () => {
  const clock = new ManualClock();
  const now = clock.now();
  const { logs, registry, watch } = setup([
    { kind: 'listener', name: 'public', subject: 'CN=api', serial: '01', notAfter: now + 10 * DAY },
    { kind: 'issued', name: 'acme', subject: 'CN=acme', serial: '02', notAfter: now - DAY },
    { kind: 'client_ca', name: 'public', subject: 'CN=CA', serial: '03', notAfter: now + 400 * DAY },
  ]);
  const findings = watch.check();
  assert.deepEqual(findings.map((finding) => finding.state), ['expiring', 'expired', 'ok']);
  const events = logs.records.filter((record) => String(record.event).startsWith('certificate.'));
  assert.deepEqual(events.map((record) => [record.event, record.name, record.level]), [['certificate.expiring', 'public', 'warn'], ['certificate.expired', 'acme', 'warn']]);
  assert.equal(events[0]!.daysLeft, 10);
  const metrics = await registry.metrics();
  assert.match(metrics, /portcullis_certificate_expiry_seconds\{kind="listener",name="public",subject="CN=api",serial="01"\} 864000/);
  assert.match(metrics, /portcullis_certificate_expiry_seconds\{kind="issued",name="acme",subject="CN=acme",serial="02"\} -86400/);
});

test('a certificate becomes expiring as the clock reaches the warning window', () => {
  const clock = new ManualClock();
  const certificate: KnownCertificate = { kind: 'upstream_server', name: 'bank', subject: 'CN=bank', serial: '0a', notAfter: clock.now() + 31 * DAY };
  const { watch, clock: watchClock } = setup([certificate]);
  assert.equal(watch.check()[0]!.state, 'ok');
  watchClock.advance(2 * DAY);
  assert.equal(watch.check()[0]!.state, 'expiring');
  watchClock.advance(30 * DAY);
  assert.equal(watch.check()[0]!.state, 'expired');
});
