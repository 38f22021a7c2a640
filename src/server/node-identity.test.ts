import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeIdentity } from './node-identity.js';

const config = (adminEnabled: boolean, adminPort: number, listenerPort: number, nodeId?: string) => ({
  ...(nodeId === undefined ? {} : { nodeId }),
  admin: { enabled: adminEnabled, port: adminPort },
  listeners: [{ port: listenerPort }],
}) as unknown as Parameters<typeof nodeIdentity>[0];

test('a node is <host>:<admin port>, so two nodes on one host differ', () => {
  assert.equal(nodeIdentity(config(true, 9901, 8080), { host: 'gw' }), 'gw:9901');
  assert.equal(nodeIdentity(config(true, 9902, 8081), { host: 'gw' }), 'gw:9902');
});

test('with the admin listener off, the first listener\'s port names the node', () => {
  assert.equal(nodeIdentity(config(false, 9901, 8080), { host: 'gw' }), 'gw:8080');
});

test('port 0 (picked at bind time) is replaced by the node\'s main process id', () => {
  assert.equal(nodeIdentity(config(true, 0, 0), { host: 'gw', pid: 4242 }), 'gw:4242');
});

test('nodeId sets it', () => {
  assert.equal(nodeIdentity(config(true, 9901, 8080, 'eu-1'), { host: 'gw' }), 'eu-1');
});
