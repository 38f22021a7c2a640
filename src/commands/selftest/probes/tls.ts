/**
 * TLS on an HTTPS target (RFC 8996: TLS 1.0 and 1.1 are deprecated; RFC 9325 §4: TLS 1.2 only
 * with forward-secret AEAD suites). Each probe offers the handshake a weak client would, with
 * OpenSSL's security level lowered (`@SECLEVEL=0`) so that Node is able to offer it at all; a
 * sound listener refuses every one. A plain-HTTP target has no TLS to probe: the probes are skipped.
 */
import { connect, type ConnectionOptions } from 'node:tls';
import { defineProbes, skip, verdict, type ProbeResult, type ProbeRule } from '../probe.js';

/** TLS 1.2 suites a hardened listener refuses: static RSA key exchange (no forward secrecy), CBC, 3DES, RC4, NULL. */
export const WEAK_TLS12_SUITES: ReadonlyArray<readonly [string, string]> = [
  ['static RSA key exchange (no forward secrecy)', 'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA'],
  ['ECDHE with CBC', 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256'],
  ['3DES, RC4, NULL', 'DES-CBC3-SHA:ECDHE-RSA-DES-CBC3-SHA:ECDHE-ECDSA-DES-CBC3-SHA:RC4-SHA:ECDHE-RSA-RC4-SHA:ECDHE-ECDSA-RC4-SHA:NULL-SHA256:NULL-SHA:ECDHE-RSA-NULL-SHA:ECDHE-ECDSA-NULL-SHA'],
];

export const tlsProbes = defineProbes(
  'tls',
  {
    tls10: { id: 'ST-TLS-001', severity: 'high', title: 'A client offering only TLS 1.0', expected: 'handshake refused', why: 'Checklist: infrastructure review (pre-deployment); RFC 8996' },
    tls11: { id: 'ST-TLS-002', severity: 'high', title: 'A client offering only TLS 1.1', expected: 'handshake refused', why: 'Checklist: infrastructure review (pre-deployment); RFC 8996' },
    weakSuites: { id: 'ST-TLS-003', severity: 'medium', title: 'TLS 1.2 with only weak cipher suites (no forward secrecy, CBC, 3DES, RC4, NULL)', expected: 'handshake refused', why: 'Checklist: infrastructure review (pre-deployment); RFC 9325 §4.2' },
  },
  async ({ target, client, requestTimeoutMs }, rules) => {
    if (target.protocol !== 'https:') return (Object.values(rules) as ProbeRule[]).map((rule) => skip(rule, 'the target is plain HTTP'));
    const results: ProbeResult[] = [];
    const offer = async (rule: ProbeRule, variant: string, options: ConnectionOptions) => {
      client.take();
      const outcome = await handshake({ host: target.hostname, port: Number(target.port || 443), servername: target.hostname, rejectUnauthorized: false, ...options }, requestTimeoutMs);
      results.push(verdict(rule, !outcome.established, outcome.established ? `handshake completed: ${outcome.detail}` : `refused: ${outcome.detail}`, `${target.host}: ${variant}`));
    };
    await offer(rules.tls10, 'TLSv1', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
    await offer(rules.tls11, 'TLSv1.1', { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    for (const [name, suites] of WEAK_TLS12_SUITES) await offer(rules.weakSuites, `TLSv1.2, ${name}`, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `${suites}@SECLEVEL=0` });
    return results;
  },
);

/** Whether a TLS handshake with these options completes; the protocol and suite, or the error. */
function handshake(options: ConnectionOptions, timeoutMs: number): Promise<{ established: boolean; detail: string }> {
  return new Promise((resolve) => {
    let socket: ReturnType<typeof connect>;
    const done = (result: { established: boolean; detail: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ established: false, detail: `no handshake within ${timeoutMs} ms` }), timeoutMs);
    try {
      socket = connect(options, () => done({ established: true, detail: `${socket.getProtocol() ?? '?'} ${socket.getCipher()?.standardName ?? '?'}` }));
    } catch (error) {
      // This Node cannot offer it at all (its OpenSSL was built without the protocol or suites).
      clearTimeout(timer);
      resolve({ established: false, detail: `not offered by this client: ${(error as Error).message}` });
      return;
    }
    socket.on('error', (error: NodeJS.ErrnoException) => done({ established: false, detail: error.code ?? error.message }));
  });
}
