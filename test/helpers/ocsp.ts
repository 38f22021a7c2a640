/**
 * A real OCSP responder for tests and the testssl bench: `openssl ocsp` serving an index file
 * (OpenSSL's CA database format) on a free port, signing with the key given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OcspResponder {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface IndexEntry {
  /** Serial, hex. */
  serial: string;
  notAfter: Date;
  subject: string;
  revokedAt?: Date;
}

/** YYMMDDHHMMSSZ, as OpenSSL's index file writes times. */
function indexTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/**
 * Starts `openssl ocsp` as a responder for the certificates in `entries`, signing with
 * `signerCert`/`signerKey` (PEM files) on behalf of `caCert`; responses valid `validMinutes`.
 */
export async function startOcspResponder(options: { caCert: string; signerCert: string; signerKey: string; entries: IndexEntry[]; validMinutes?: number }): Promise<OcspResponder> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-ocsp-'));
  const index = join(dir, 'index.txt');
  const lines = options.entries.map((entry) =>
    [entry.revokedAt ? 'R' : 'V', indexTime(entry.notAfter), entry.revokedAt ? indexTime(entry.revokedAt) : '', entry.serial.toUpperCase(), 'unknown', entry.subject].join('\t'),
  );
  writeFileSync(index, lines.map((line) => `${line}\n`).join(''));
  writeFileSync(`${index}.attr`, 'unique_subject = no\n');
  const child: ChildProcess = spawn('openssl', ['ocsp', '-index', index, '-port', '0', '-rsigner', options.signerCert, '-rkey', options.signerKey, '-CA', options.caCert, '-nmin', String(options.validMinutes ?? 10)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ACCEPT .*:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`openssl ocsp exited (${code}): ${output}`)));
    setTimeout(() => reject(new Error(`openssl ocsp did not start: ${output}`)), 30_000).unref();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
