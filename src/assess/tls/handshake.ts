/**
 * One TLS handshake pinned to what the probe wants to learn (one protocol version, one cipher
 * family, one key-exchange group), with Node's own TLS: the peer's answer is what the provider
 * really offers, not what a table says. The certificate is never trusted here (the certificate
 * check judges it from `authorized` / `authorizationError`), and the connection is closed right
 * after the handshake: no request is sent.
 */
import { connect, type DetailedPeerCertificate, type SecureVersion } from 'node:tls';

export interface HandshakeOptions {
  readonly host: string;
  readonly port: number;
  /** The address to connect to when it was resolved and approved beforehand (the egress rules); default: `host`. */
  readonly address?: string;
  /** SNI (omitted for an IP literal). */
  readonly servername?: string;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** An OpenSSL cipher string; `@SECLEVEL=0` lets Node offer TLS 1.0/1.1 and weak suites. */
  readonly ciphers?: string;
  /** Key-exchange groups to offer, colon-separated (`X25519`, `P-256`, `ffdhe2048` …). */
  readonly ecdhCurve?: string;
  /** PEM CA(s) instead of Node's default store (assess passes the default roots plus its CA file: trust.ts). */
  readonly ca?: readonly string[];
  readonly requestOCSP?: boolean;
  readonly timeoutMs: number;
}

export type HandshakeResult =
  | {
      readonly ok: true;
      readonly protocol: string;
      /** OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`) and IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`). */
      readonly cipher: { readonly name: string; readonly standardName: string };
      /** The ephemeral key: `{ type: 'ECDH', name: 'X25519', size: 253 }`, `{ type: 'DH', size: 2048 }`, or empty (static RSA). */
      readonly ephemeral: { readonly type?: string; readonly name?: string; readonly size?: number };
      readonly authorized: boolean;
      readonly authorizationError?: string;
      readonly certificate?: DetailedPeerCertificate;
      /** The stapled OCSP response, when asked for and sent. */
      readonly ocspResponse?: Buffer;
    }
  | {
      readonly ok: false;
      /** `refused` (the server said no: an alert or a reset), `unsupported` (this Node cannot offer it), `unreachable`, `timeout`. */
      readonly reason: 'refused' | 'unsupported' | 'unreachable' | 'timeout';
      readonly error: string;
    };

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** One handshake; never throws. */
export function handshake(options: HandshakeOptions): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let ocspResponse: Buffer | undefined;
    let settled = false;
    const finish = (result: HandshakeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket?.destroy();
      resolve(result);
    };
    let socket: ReturnType<typeof connect> | undefined;
    // A deadline for the whole handshake, not an idle timeout: a server trickling a byte at a time
    // (a record header announcing 16 KiB, then one byte per second) would reset an idle timer forever.
    const deadline = setTimeout(() => finish({ ok: false, reason: 'timeout', error: `no handshake within ${options.timeoutMs} ms` }), options.timeoutMs);
    try {
      socket = connect({
        host: options.address ?? options.host,
        port: options.port,
        ...(options.servername ? { servername: options.servername } : {}),
        rejectUnauthorized: false,
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.ciphers ? { ciphers: options.ciphers } : {}),
        ...(options.ecdhCurve ? { ecdhCurve: options.ecdhCurve } : {}),
        ...(options.ca ? { ca: [...options.ca] } : {}),
        ...(options.requestOCSP ? { requestOCSP: true } : {}),
      });
    } catch (error) {
      // The cipher string or group matched nothing this OpenSSL can offer (3DES, RC4, export …).
      finish({ ok: false, reason: 'unsupported', error: (error as Error).message });
      return;
    }
    socket.on('OCSPResponse', (response: Buffer) => {
      ocspResponse = response;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: error.code && UNREACHABLE.has(error.code) ? 'unreachable' : 'refused', error: error.code ?? error.message }));
    socket.on('secureConnect', () => {
      const s = socket!;
      const cipher = s.getCipher();
      finish({
        ok: true,
        protocol: s.getProtocol() ?? 'unknown',
        cipher: { name: cipher.name, standardName: cipher.standardName },
        ephemeral: s.getEphemeralKeyInfo() ?? {},
        authorized: s.authorized,
        ...(s.authorizationError ? { authorizationError: String(s.authorizationError) } : {}),
        certificate: s.getPeerCertificate(true),
        ...(ocspResponse ? { ocspResponse } : {}),
      });
    });
  });
}
