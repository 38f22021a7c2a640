/**
 * certificate_expiry watches our CA's CRL by its nextUpdate (issue 21 §1): a CA made by the real
 * `portcullis ca init`, a gateway with pki.caDir and an injected clock; the CRL shows as
 * kind="crl" in portcullis_certificate_expiry_seconds and the rule fires at its 30/7/1-day tiers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { x509 } from '../src/auth/x509.js';
import { ManualClock } from '../src/core/clock.js';
import { runCliAsync } from './helpers/cli.js';
import { baseConfig, startGateway, startUpstream } from './helpers/index.js';

const DAY_MS = 86_400_000;

test('our CA\'s CRL is watched until its nextUpdate: kind crl in the expiry metric, and certificate_expiry fires by its tiers', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-crl-expiry-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = join(work, 'ca');
  const env = { PTC_CA_PASSPHRASE: 'correct horse battery staple 42' };
  const made = await runCliAsync(['ca', 'init', '--dir', dir, '--subject', 'CN=Partner CA', '--key-passphrase-env', 'PTC_CA_PASSPHRASE'], env);
  assert.equal(made.status, 0, made.stderr);
  const crl = new x509.X509Crl(readFileSync(join(dir, 'crl.pem'), 'utf8'));
  const nextUpdate = crl.nextUpdate!.getTime();
  const upstream = await startUpstream();
  t.after(upstream.close);

  // 10 days before the CRL's nextUpdate: within 30 days, info.
  const clock = new ManualClock(nextUpdate - 10 * DAY_MS);
  const gw = await startGateway(baseConfig([upstream.url], { pki: { caDir: dir }, alerts: { groupWaitSeconds: 0 } }), { clock });
  t.after(gw.close);
  const found = gw.gateway.checkCertificateExpiry().find((finding) => finding.kind === 'crl');
  assert.ok(found, 'the CRL is in the inventory');
  assert.equal(found.notAfter, nextUpdate);
  assert.equal(found.subject, crl.issuer);
  const metrics = await gw.gateway.services.metrics.registry.getSingleMetricAsString('portcullis_certificate_expiry_seconds');
  assert.match(metrics, new RegExp(`portcullis_certificate_expiry_seconds\\{kind="crl",name="${dir.replace(/[/.]/g, '\\$&')}",subject="CN=Partner CA",serial=""\\} ${10 * 86400}\\b`));

  const crlAlert = () => gw.gateway.alerts.alerts().find((view) => view.alert.rule === 'certificate_expiry' && view.alert.labels.kind === 'crl');
  await gw.gateway.alerts.evaluate();
  assert.equal(crlAlert()?.alert.severity, 'info');
  assert.equal(crlAlert()?.state, 'firing');

  // Half a day before nextUpdate: critical.
  clock.advance(9.5 * DAY_MS);
  gw.gateway.checkCertificateExpiry();
  await gw.gateway.alerts.evaluate();
  assert.equal(crlAlert()?.alert.severity, 'critical');
  assert.match(crlAlert()!.alert.summary, /^the CRL of CA .* reaches its nextUpdate in 0\.5 days$/);
});
