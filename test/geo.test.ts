import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, httpRequest, parseRawResponse, rawExchange, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

/** The gateway sees 127.0.0.1; as a trusted proxy it may say which client it forwards for. */
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('geo-enrichment and network rules, with real lookups', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let untrusted: TestGateway;
  const routes = [
    { name: 'enriched', methods: ['GET'], path: '/enriched', upstream: 'backend', policies: { geo: { headers: ['country', 'continent', 'eu', 'currency'] } } },
    { name: 'us-only', methods: ['GET'], path: '/us-only', upstream: 'backend', policies: { geo: { allowCountries: ['US'] } } },
    { name: 'no-au', methods: ['GET'], path: '/no-au', upstream: 'backend', policies: { geo: { denyCountries: ['AU'] } } },
    { name: 'known-only', methods: ['GET'], path: '/known-only', upstream: 'backend', policies: { geo: { denyUnknown: true } } },
    { name: 'office', methods: ['GET'], path: '/office', upstream: 'backend', policies: { 'ip-rules': { allow: ['203.0.113.0/24', '2001:db8:abcd::/48'] } } },
    { name: 'blocklist', methods: ['GET'], path: '/blocklist', upstream: 'backend', policies: { 'ip-rules': { deny: ['198.51.100.0/24', '2001:db8:bad::/48'] } } },
    { name: 'plain', methods: ['GET'], path: '/plain', upstream: 'backend' },
  ];

  before(async () => {
    upstream = await startUpstream();
    gw = await startGateway(baseConfig([upstream.url], { trustedProxies: ['127.0.0.1'], routes }));
    untrusted = await startGateway(baseConfig([upstream.url], { routes }));
  });
  after(async () => {
    await gw.close();
    await untrusted.close();
    await upstream.close();
  });

  const seen = () => upstream.requests.at(-1)!.headers;

  test('tells the upstream where an IPv4 client is', async () => {
    assert.equal((await httpRequest(`${gw.url}/enriched`, { headers: from('8.8.8.8') })).status, 200);
    assert.equal(seen()['x-geo-country'], 'US');
    assert.equal(seen()['x-geo-continent'], 'NA');
    assert.equal(seen()['x-geo-eu'], 'false');
    assert.equal(seen()['x-geo-currency'], 'USD');
  });

  test('knows EU members, and IPv6 clients', async () => {
    await httpRequest(`${gw.url}/enriched`, { headers: from('2.16.0.1') });
    assert.equal(seen()['x-geo-country'], 'NL');
    assert.equal(seen()['x-geo-eu'], 'true');
    assert.equal(seen()['x-geo-currency'], 'EUR');
    await httpRequest(`${gw.url}/enriched`, { headers: from('2001:4860:4860::8888') });
    assert.equal(seen()['x-geo-country'], 'US');
  });

  test('sends no location for private and reserved addresses, whatever the database says, and logs the country it found', async () => {
    // The bundled database maps parts of 172.16.0.0/12 and 192.168.0.0/16 to AU.
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.1', 'fd00::1', '2001:db8::1']) {
      await httpRequest(`${gw.url}/enriched`, { headers: from(ip) });
      assert.equal(seen()['x-geo-country'], undefined, ip);
    }
    const reply = await httpRequest(`${gw.url}/enriched`, { headers: from('1.1.1.1') });
    assert.equal((await gw.logs.accessLine(reply.headers['x-request-id'])).country, 'AU');
  });

  test('never passes X-Geo-* headers from the client through, on any route', async () => {
    await httpRequest(`${gw.url}/plain`, { headers: { 'x-geo-country': 'CH', x_geo_country: 'CH', 'x-geo-eu': 'true' } });
    assert.equal(seen()['x-geo-country'], undefined);
    assert.equal(seen()['x_geo_country'], undefined);
    assert.equal(seen()['x-geo-eu'], undefined);
    await httpRequest(`${gw.url}/enriched`, { headers: { ...from('8.8.8.8'), 'x-geo-country': 'CH' } });
    assert.equal(seen()['x-geo-country'], 'US');
  });

  test('allows and denies countries, without saying which rule matched', async () => {
    assert.equal((await httpRequest(`${gw.url}/us-only`, { headers: from('8.8.8.8') })).status, 200);
    const refused = assertProblem(await httpRequest(`${gw.url}/us-only`, { headers: from('1.1.1.1') }), 403, 'geo.country_blocked');
    assert.doesNotMatch(JSON.stringify(refused), /AU|US|allow/);
    assertProblem(await httpRequest(`${gw.url}/us-only`, { headers: from('10.0.0.1') }), 403, 'geo.country_blocked');
    assertProblem(await httpRequest(`${gw.url}/no-au`, { headers: from('1.1.1.1') }), 403, 'geo.country_blocked');
    assert.equal((await httpRequest(`${gw.url}/no-au`, { headers: from('8.8.8.8') })).status, 200);
    assertProblem(await httpRequest(`${gw.url}/known-only`, { headers: from('192.168.1.1') }), 403, 'geo.country_blocked');
    assert.equal((await httpRequest(`${gw.url}/known-only`, { headers: from('8.8.8.8') })).status, 200);
  });

  test('ignores a spoofed X-Forwarded-For from an untrusted peer, and honours a trusted chain', async () => {
    // Untrusted: the claim of being in the US is ignored; the peer (loopback) has no country.
    assertProblem(await httpRequest(`${untrusted.url}/us-only`, { headers: from('8.8.8.8') }), 403, 'geo.country_blocked');
    // Trusted: the rightmost untrusted hop is the client, whatever the client wrote further left.
    assert.equal((await httpRequest(`${gw.url}/us-only`, { headers: from('1.1.1.1, 8.8.8.8') })).status, 200);
    assertProblem(await httpRequest(`${gw.url}/us-only`, { headers: from('8.8.8.8, 1.1.1.1') }), 403, 'geo.country_blocked');
  });

  test('applies IP allow and deny lists, IPv4 and IPv6', async () => {
    assert.equal((await httpRequest(`${gw.url}/office`, { headers: from('203.0.113.40') })).status, 200);
    assert.equal((await httpRequest(`${gw.url}/office`, { headers: from('2001:db8:abcd:1::1') })).status, 200);
    const refused = assertProblem(await httpRequest(`${gw.url}/office`, { headers: from('8.8.8.8') }), 403, 'network.ip_blocked');
    assert.doesNotMatch(JSON.stringify(refused), /203\.0\.113/);
    assertProblem(await httpRequest(`${gw.url}/blocklist`, { headers: from('198.51.100.9') }), 403, 'network.ip_blocked');
    assertProblem(await httpRequest(`${gw.url}/blocklist`, { headers: from('2001:db8:bad:1::7') }), 403, 'network.ip_blocked');
    assert.equal((await httpRequest(`${gw.url}/blocklist`, { headers: from('8.8.8.8') })).status, 200);
  });

  test('refuses contradictory or malformed rules in the config', () => {
    const result = validateConfig(
      baseConfig(['http://10.0.0.1'], {
        routes: [
          { name: 'a', methods: ['GET'], path: '/a', upstream: 'backend', policies: { geo: { allowCountries: ['US'], denyCountries: ['AU'] } } },
          { name: 'b', methods: ['GET'], path: '/b', upstream: 'backend', policies: { 'ip-rules': { deny: ['10.0.0.0/40'] }, geo: { denyCountries: ['usa'] } } },
        ],
      }),
      {},
    );
    const issues = result.ok ? [] : result.issues.map(formatIssue);
    assert.ok(issues.includes('routes[0].policies.geo.denyCountries: use allowCountries or denyCountries, not both'), issues.join('\n'));
    assert.ok(issues.includes('routes[1].policies.ip-rules.deny[0]: "10.0.0.0/40" is not an IP address or CIDR'), issues.join('\n'));
    assert.ok(issues.some((issue) => issue.startsWith('routes[1].policies.geo.denyCountries[0]:')), issues.join('\n'));
  });
});

describe('data residency and location consistency', () => {
  let us: TestUpstream;
  let eu: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    us = await startUpstream();
    eu = await startUpstream();
    gw = await startGateway({
      ...baseConfig([us.url], { trustedProxies: ['127.0.0.1'] }),
      upstreams: { backend: { targets: [us.url] }, 'backend-eu': { targets: [eu.url] } },
      routes: [
        { name: 'profile', methods: ['GET'], path: '/profile', upstream: 'backend', policies: { geo: { residency: [{ eu: true, upstream: 'backend-eu' }] } } },
        { name: 'header-flag', methods: ['POST'], path: '/orders', upstream: 'backend', policies: { geo: { locationCheck: { header: 'X-Billing-Country' } } } },
        { name: 'body-deny', methods: ['POST'], path: '/payments', upstream: 'backend', policies: { 'request-size-limit': { maxBytes: 2048 }, geo: { locationCheck: { bodyPointer: '/billing/country', mode: 'deny' } } } },
      ],
    });
  });
  after(async () => {
    await gw.close();
    await us.close();
    await eu.close();
  });

  test('sends EU clients to the EU upstream, and everyone else to the route upstream', async () => {
    await httpRequest(`${gw.url}/profile`, { headers: from('2.16.0.1') });
    assert.equal(eu.requests.length, 1, 'a client in the Netherlands is served in the EU');
    await httpRequest(`${gw.url}/profile`, { headers: from('8.8.8.8') });
    await httpRequest(`${gw.url}/profile`, { headers: from('10.0.0.1') });
    assert.equal(eu.requests.length, 1);
    assert.equal(us.requests.length, 2, 'the US client and the unknown one use the default');
  });

  test('flags a billing country that differs from the IP country, in a header upstream and in the log', async () => {
    const reply = await httpRequest(`${gw.url}/orders`, { method: 'POST', headers: { ...from('8.8.8.8'), 'x-billing-country': 'de' }, body: '{}' });
    assert.equal(reply.status, 200);
    assert.equal(us.requests.at(-1)!.headers['x-geo-location-mismatch'], 'true');
    assert.deepEqual((await gw.logs.accessLine(reply.headers['x-request-id'])).locationMismatch, { asserted: 'DE', observed: 'US' });
    const metrics = (await httpRequest(`${gw.gateway.adminUrl}/metrics`)).text;
    assert.match(metrics, /portcullis_geo_location_mismatch_total\{route="header-flag",action="flag"\} 1/);
    await httpRequest(`${gw.url}/orders`, { method: 'POST', headers: { ...from('8.8.8.8'), 'x-billing-country': 'US', 'x-geo-location-mismatch': 'false' }, body: '{}' });
    assert.equal(us.requests.at(-1)!.headers['x-geo-location-mismatch'], undefined, 'no mismatch: nothing set, and the client cannot set it');
  });

  test('denies a mismatching JSON body field, and forwards a matching body intact', async () => {
    const mismatch = JSON.stringify({ amount: 10, billing: { country: 'FR' } });
    assertProblem(await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { ...from('8.8.8.8'), 'content-type': 'application/json' }, body: mismatch }), 403, 'geo.location_mismatch');
    const match = JSON.stringify({ amount: 10, billing: { country: 'us' } });
    const before = us.requests.length;
    const reply = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { ...from('8.8.8.8'), 'content-type': 'application/json' }, body: match });
    assert.equal(reply.status, 200);
    assert.equal(us.requests.length, before + 1);
    assert.equal(us.requests.at(-1)!.body.toString(), match);
    assert.equal(us.requests.at(-1)!.headers['content-length'], String(Buffer.byteLength(match)));
  });

  test('in deny mode, refuses a body it cannot check instead of waving the claim through', async () => {
    const claim = JSON.stringify({ billing: { country: 'FR' } });
    const post = (headers: Record<string, string>, body: string | Buffer) => httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { ...from('8.8.8.8'), ...headers }, body });
    assertProblem(await post({ 'content-type': 'text/plain' }, claim), 415, 'request.unsupported_media_type');
    assertProblem(await post({}, claim), 415, 'request.unsupported_media_type');
    assertProblem(await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, claim), 415, 'request.unsupported_media_type');
    assertProblem(await post({ 'content-type': 'application/json' }, `\ufeff${claim}`), 400, 'request.malformed');
    // Two claims: JSON.parse keeps the last (US, matching), an upstream reading the first acts on FR.
    const before = us.requests.length;
    assertProblem(await post({ 'content-type': 'application/json' }, '{"billing":{"country":"FR"},"billing":{"country":"US"}}'), 400, 'request.malformed');
    assert.equal(us.requests.length, before, 'an ambiguous claim never reaches the upstream');
    assert.equal((await post({ 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ billing: { country: '' } }))).status, 200, 'an empty claim is no claim');
  });

  test('caps a body it reads at 10 MiB even with the size limit off', async () => {
    const local = await startGateway({
      ...baseConfig([us.url], { trustedProxies: ['127.0.0.1'] }),
      routes: [{ name: 'unlimited', methods: ['POST'], path: '/big', upstream: 'backend', policies: { 'request-size-limit': { enabled: false }, geo: { locationCheck: { bodyPointer: '/country' } } } }],
    });
    try {
      const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
      assertProblem(await httpRequest(`${local.url}/big`, { method: 'POST', headers: { ...from('8.8.8.8'), 'content-type': 'application/json' }, body: big }), 413, 'request.body_too_large');
    } finally {
      await local.close();
    }
  });

  test('still enforces the size limit on a body it reads, and says nothing without both locations', async () => {
    const big = JSON.stringify({ billing: { country: 'US' }, pad: 'x'.repeat(4000) });
    assertProblem(
      await rawExchange(gw.port, [`POST /payments HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 8.8.8.8\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`]).then(parseRawResponse),
      413,
      'request.body_too_large',
    );
    const unknownIp = await httpRequest(`${gw.url}/payments`, { method: 'POST', headers: { ...from('10.0.0.1'), 'content-type': 'application/json' }, body: JSON.stringify({ billing: { country: 'FR' } }) });
    assert.equal(unknownIp.status, 200, 'no IP country: no signal');
  });

  test('checks residency upstream names and the location check shape', () => {
    const result = validateConfig(
      baseConfig(['http://10.0.0.1'], {
        routes: [{ name: 'a', methods: ['GET'], path: '/a', upstream: 'backend', policies: { geo: { residency: [{ eu: true, upstream: 'backnd-eu' }, { upstream: 'backend' }], locationCheck: { mode: 'deny' } } } }],
      }),
      {},
    );
    const issues = result.ok ? [] : result.issues.map(formatIssue);
    assert.ok(issues.includes('routes[0].policies.geo.residency[0].upstream: unknown upstream "backnd-eu"'), issues.join('\n'));
    assert.ok(issues.includes('routes[0].policies.geo.residency[1]: needs countries, continents or eu'), issues.join('\n'));
    assert.ok(issues.includes('routes[0].policies.geo.locationCheck: needs exactly one of header or bodyPointer'), issues.join('\n'));
  });
});
