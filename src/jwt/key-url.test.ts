import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutboundRefusedError, type OutboundConnection } from '../outbound/index.js';
import { checkDiscoveredJwksUri, checkKeyUrl, isLocalAddress, jwksUriWrittenBy, refuseLocalAddress } from './key-url.js';

const REMOTE_DISCOVERY = 'https://203.0.113.10/.well-known/openid-configuration';

test('configured key URLs: HTTPS, HTTP only on loopback, never with credentials', () => {
  assert.equal(checkKeyUrl('https://idp.example.com/jwks'), undefined);
  assert.equal(checkKeyUrl('http://127.0.0.1:8080/jwks'), undefined);
  assert.equal(checkKeyUrl('http://[::1]:8080/jwks'), undefined);
  assert.match(checkKeyUrl('http://idp.example.com/jwks')!, /https/);
  assert.match(checkKeyUrl('http://10.0.0.5/jwks')!, /https/);
  assert.match(checkKeyUrl('https://user:secret@idp.example.com/jwks')!, /credentials/);
  assert.match(checkKeyUrl('not a url')!, /not a URL/);
});

test('refuses a local jwks_uri (loopback, private, link-local, unspecified, mapped) from a remote discovery document', async () => {
  for (const uri of [
    'http://127.0.0.1:8080/jwks',
    'https://127.0.0.1/jwks',
    'https://127.1.2.3/jwks',
    'https://localhost/jwks',
    'https://keys.localhost/jwks',
    'https://[::1]/jwks',
    'https://[::ffff:127.0.0.1]/jwks',
    'https://10.0.0.5/jwks',
    'https://172.16.0.1/jwks',
    'https://192.168.1.1/jwks',
    'https://169.254.169.254/latest/meta-data',
    'https://0.0.0.0/jwks',
    'https://[fd00::1]/jwks',
    'https://[fe80::1]/jwks',
  ]) {
    const checked = await checkDiscoveredJwksUri(uri, REMOTE_DISCOVERY);
    assert.ok('problem' in checked, `${uri} must be refused`);
  }
});

test('accepts a remote jwks_uri (checked again at connect time), and a local one from a local discovery document', async () => {
  const remote = await checkDiscoveredJwksUri('https://keys.example.net/jwks', REMOTE_DISCOVERY);
  assert.ok('check' in remote && remote.check === refuseLocalAddress, 'a remote key host is fetched with the connect-time check');
  const sameHost = await checkDiscoveredJwksUri('https://203.0.113.10/keys', REMOTE_DISCOVERY);
  assert.ok('check' in sameHost && sameHost.check === undefined);
  for (const [uri, discovery] of [
    ['http://127.0.0.1:9000/jwks', 'http://127.0.0.1:9000/.well-known/openid-configuration'],
    ['https://10.0.0.5/jwks', 'https://10.0.0.4/.well-known/openid-configuration'],
    ['https://10.0.0.5/jwks', 'http://localhost:9000/.well-known/openid-configuration'],
  ] as const) {
    const checked = await checkDiscoveredJwksUri(uri, discovery);
    assert.ok('check' in checked && checked.check === undefined, `${uri} from ${discovery}`);
  }
  assert.ok('problem' in (await checkDiscoveredJwksUri('http://keys.example.net/jwks', REMOTE_DISCOVERY)), 'plain HTTP from a remote document');
});

test('the connect-time check refuses a connection of a remote key URL to a local address, whatever the name', () => {
  const connection = (host: string, address: string): OutboundConnection => ({ purpose: 'jwks', host, port: 443, address, family: address.includes(':') ? 6 : 4, protocol: 'https:' });
  for (const address of ['127.0.0.1', '10.1.2.3', '::1', '::ffff:10.1.2.3', '169.254.169.254']) {
    assert.throws(() => refuseLocalAddress(connection('keys.example.net', address)), (error: unknown) => error instanceof OutboundRefusedError && error.code === 'EOUTBOUNDREFUSED' && error.connection.address === address);
  }
  assert.doesNotThrow(() => refuseLocalAddress(connection('keys.example.net', '203.0.113.7')));
  assert.equal(isLocalAddress('8.8.8.8'), false);
  assert.equal(isLocalAddress('2001:db8::1'), false);
  assert.equal(isLocalAddress('::ffff:10.1.2.3'), true);
});

test("a discovered jwks_uri counts as the operator's (its IP literal may allow its own range in the egress rules) only on the discovery host or under a discovery URL local by what it says, never by what a name resolves to", () => {
  assert.equal(jwksUriWrittenBy('https://10.0.0.5/jwks', 'https://idp.internal/.well-known/openid-configuration'), 'remote', 'a name that resolves locally for one lookup vouches for nothing');
  assert.equal(jwksUriWrittenBy('https://[64:ff9b::a00:5]/jwks', REMOTE_DISCOVERY), 'remote');
  assert.equal(jwksUriWrittenBy('https://10.0.0.5/jwks', 'https://10.0.0.7/.well-known/openid-configuration'), 'operator');
  assert.equal(jwksUriWrittenBy('https://idp.internal:8443/keys', 'https://idp.internal/.well-known/openid-configuration'), 'operator');
  assert.equal(jwksUriWrittenBy('http://127.0.0.1:9000/jwks', 'http://localhost:9000/.well-known/openid-configuration'), 'operator');
});
