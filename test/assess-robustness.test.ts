/**
 * `portcullis assess` against servers that misbehave: one that trickles a TLS record a byte at a
 * time must not hold a handshake past its timeout, and a provider that cannot be reached is not
 * graded as if nothing had been found.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { assessUrl } from '../src/commands/assess/run.js';
import { handshake } from '../src/assess/tls/handshake.js';
import { UNREACHABLE_CAP } from '../src/assess/run-assessment.js';
import { systemClock } from '../src/core/clock.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A server that answers every ClientHello with a handshake record header announcing 16 KiB, then one byte every 20 ms. */
async function tricklingServer(): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00]));
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(Buffer.from([0x00]))), 20);
      socket.on('close', () => clearInterval(timer));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('assess against misbehaving servers', () => {
  test('a handshake trickled a byte at a time ends at timeoutMs (a deadline, not an idle timer)', async () => {
    const port = await tricklingServer();
    const started = Date.now();
    const bound = new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 5000).unref());
    const result = await Promise.race([handshake({ host: '127.0.0.1', port, timeoutMs: 300 }), bound]);
    assert.notEqual(result, 'still waiting', 'the trickle kept the handshake open past 5 s with timeoutMs 300');
    assert.deepEqual(result, { ok: false, reason: 'timeout', error: 'no handshake within 300 ms' });
    assert.ok(Date.now() - started < 5000);
  });

  test('an unreachable provider grades F with the reason, never A+', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const assessment = await assessUrl(`https://127.0.0.1:${port}/`, { timeoutMs: 500, clock: systemClock, httpUrl: `http://127.0.0.1:${port}/` });
    assert.equal(assessment.reachable, false);
    assert.equal(assessment.grade, 'F');
    assert.deepEqual(assessment.capReasons, [UNREACHABLE_CAP]);
    assert.ok(assessment.findings.every((finding) => finding.status === 'not_tested'));
  });
});
