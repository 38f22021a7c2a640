import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatIssue, validateConfig } from '../src/config/loader.js';
import { assertProblem, baseConfig, httpRequest, startGateway, startUpstream, type TestGateway, type TestUpstream } from './helpers/index.js';

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
