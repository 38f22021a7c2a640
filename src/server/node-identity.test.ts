import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../config/loader.js';
import { baseConfig, startGateway, startUpstream } from '../../test/helpers/index.js';
import { nodeIdentity, serviceInstanceId } from './node-identity.js';

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

test('a reload that changes nodeId says it takes effect after a restart (the lease, heartbeats and traces keep the old name until then)', async () => {
  const upstream = await startUpstream();
  const gw = await startGateway(baseConfig([upstream.url], { nodeId: 'gw-east-1' }));
  try {
    const next = validateConfig(baseConfig([upstream.url], { nodeId: 'gw-east-2' }), {});
    assert.ok(next.ok);
    assert.equal((await gw.gateway.reload(next.config)).ok, true);
    const warning = await gw.logs.waitFor((record) => record.event === 'config.restart_required');
    assert.deepEqual(warning.sections, ['nodeId']);
  } finally {
    await gw.close();
    await upstream.close();
  }
});

test("a worker's service.instance.id is its node's name and its slot; one process is its node", () => {
  assert.equal(serviceInstanceId('gw:9901', '2'), 'gw:9901/worker-2');
  assert.equal(serviceInstanceId('gw:9901', undefined), 'gw:9901');
});
