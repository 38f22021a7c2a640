/**
 * `npm run bench:upload`: streams a 1 GiB upload through the gateway to an upstream that discards
 * it, and reports the gateway's resident memory before and at its peak (VmHWM, Linux), against the
 * upload size. A gateway that buffered bodies would peak above 1 GiB; a streaming one stays flat.
 * BENCH_UPLOAD_MIB sets the size (default 1024).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { freePort, startGatewayProcess, startServer, stopAll } from './harness.js';

const mib = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field));
  return Number(line?.match(/(\d+)/)?.[1] ?? NaN) / 1024;
}

async function main(): Promise<void> {
  const [sinkPort, gatewayPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  await startServer('sink', sinkPort);
  const gateway = await startGatewayProcess(
    {
      listeners: [{ name: 'bench', host: '127.0.0.1', port: gatewayPort, requestTimeoutMs: 0 }],
      admin: { host: '127.0.0.1', port: adminPort },
      upstreams: { sink: { targets: [`http://127.0.0.1:${sinkPort}`] } },
      lifecycle: { watchConfigFile: false },
      policies: { 'request-size-limit': { maxBytes: 2 * 1024 * 1024 * 1024 } },
      routes: [{ name: 'upload', methods: ['POST'], path: '/upload', upstream: 'sink' }],
    },
    gatewayPort,
  );
  const pid = gateway.pid!;
  const before = memoryMiB(pid, 'VmRSS');
  const total = mib * 1024 * 1024;
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
  const started = performance.now();
  const received = await new Promise<string>((resolve, reject) => {
    const req = request(`http://127.0.0.1:${gatewayPort}/upload`, { method: 'POST', headers: { 'content-length': String(total), 'content-type': 'application/octet-stream' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    body.pipe(req);
  });
  const seconds = (performance.now() - started) / 1000;
  const peak = memoryMiB(pid, 'VmHWM');
  if (Number(received) !== total) throw new Error(`the upstream received ${received} bytes, expected ${total}`);
  console.log(`\nUpload of ${mib} MiB through the gateway (node ${process.version})`);
  console.log(`  upstream received:     ${received} bytes`);
  console.log(`  throughput:            ${(mib / seconds).toFixed(0)} MiB/s`);
  console.log(`  gateway RSS before:    ${before.toFixed(0)} MiB`);
  console.log(`  gateway RSS peak:      ${peak.toFixed(0)} MiB (${((peak / mib) * 100).toFixed(1)}% of the upload)`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
