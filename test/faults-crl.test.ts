/**
 * Fault injection, a CRL URL (issue 13): the server publishing a listener's CRL goes down under
 * load. The last CRL keeps applying until its nextUpdate, clients keep getting through, and the
 * failure is logged once, counted and listed by /readyz until a refresh succeeds again.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { makeTestPki } from './helpers/certs.js';
import { baseConfig, httpRequest, startGateway, startUpstream } from './helpers/index.js';
import { metricValue, msUntil, SteadyLoad } from './helpers/load.js';
import { httpsRequest } from './helpers/tls.js';

test('a CRL URL that goes down under load: the last CRL keeps applying, clients keep passing, the failure is logged once, counted and listed by /readyz, and the next refresh recovers', { timeout: 60_000 }, async (t) => {
  const pki = await makeTestPki();
  const upstream = await startUpstream();
  let crlStatus = 200;
  const crlBody = await pki.writeCrl([pki.revoked.certificate.serialNumber], { file: `${pki.dir}/faults.crl.pem` });
  const crlServer: Server = createServer((_req, res) => {
    res.writeHead(crlStatus, { 'content-type': 'application/pkix-crl' });
    res.end(crlStatus === 200 ? crlBody : '');
  });
  await new Promise<void>((resolve) => crlServer.listen(0, '127.0.0.1', resolve));
  const crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/ca.crl`;
  const gw = await startGateway(
    baseConfig([upstream.url], {
      listeners: [{ name: 'public', host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCertificates: { mode: 'required', caFiles: [pki.caBundle], crl: { urls: [crlUrl], refreshSeconds: 3600, whenUnavailable: 'fail-closed' } } } }],
      policies: { 'auth-mtls': { consumers: [{ consumerId: 'acme', scopes: [], san: 'URI:spiffe://acme/payments' }] } },
    }),
  );
  const call = (client = pki.client) => httpsRequest(`${gw.url}/x`, { ca: pki.rootCa, cert: client.certPem, key: client.keyPem });
  const degraded = async () => (await httpRequest(`${gw.gateway.adminUrl}/readyz`)).json<{ degraded: Array<{ dependency: string }> }>().degraded.map((d) => d.dependency);
  try {
    assert.equal((await call()).status, 200);
    const load = new SteadyLoad(async () => (await call()).status, { concurrency: 1 });
    load.phase('down');
    crlStatus = 503;
    await gw.gateway.listenerTls('public')!.refreshRevocation();
    await gw.logs.waitFor((r) => r.event === 'crl.refresh_failed');
    assert.ok((await degraded()).some((name) => name.startsWith('crl:public:')), '/readyz lists the CRL source');
    const ready = await httpRequest(`${gw.gateway.adminUrl}/readyz`);
    assert.equal(ready.status, 200);
    // A second failed refresh inside 30 s is counted, not logged again.
    await gw.gateway.listenerTls('public')!.refreshRevocation();
    await msUntil(() => load.total('down') >= 10, 'load while the CRL URL is down');
    assert.equal((await call(pki.revoked)).status, 401, 'the last CRL still refuses what it revokes');
    const metrics = (await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text;
    assert.ok(metricValue(metrics, 'portcullis_crl_refresh_total', { listener: 'public', result: 'failed' }) >= 2);
    assert.ok(metricValue(metrics, 'portcullis_dependency_failures_total') >= 2);
    load.phase('back');
    crlStatus = 200;
    const back = Date.now();
    await gw.gateway.listenerTls('public')!.refreshRevocation();
    await msUntil(async () => !(await degraded()).some((name) => name.startsWith('crl:public:')), 'the CRL source answers again');
    const recoveredMs = Date.now() - back;
    await load.stop();
    assert.deepEqual(Object.keys(load.counts('down')), ['200'], `clients while the CRL URL was down got ${JSON.stringify(load.counts('down'))}`);
    const outages = gw.logs.records.filter((r) => r.event === 'dependency.unavailable' && String(r.dependency).startsWith('crl:public:'));
    assert.equal(outages.length, 1, 'logged once');
    assert.ok(gw.logs.records.some((r) => r.event === 'dependency.available_again' && String(r.dependency).startsWith('crl:public:')));
    t.diagnostic(`crl: ${JSON.stringify(load.counts('down'))} while the URL was down; recovered ${recoveredMs} ms after it returned (next refresh)`);
  } finally {
    await gw.close();
    await upstream.close();
    await new Promise<void>((resolve) => crlServer.close(() => resolve()));
  }
});
