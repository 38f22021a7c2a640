/**
 * TLS servers with known properties for the assess tests and the testssl.sh comparison
 * (bench/assess-vs-testssl.ts): Node servers (strong; an expired, a self-signed, a wrong-host
 * certificate; a chain without its intermediate; no HSTS) and Debian's `openssl s_server` for what
 * Node will not serve by default (TLS 1.0 at a lowered security level, static RSA, NULL, a 1024-bit
 * DH group). Every server listens on 127.0.0.1; each `close()` stops it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateKeyPair, issueLeaf, privateKeyToPem } from '../../src/pki/issue.js';
import { goodApi } from './assess-http-servers.js';
import { makeTestPki, type TestPki } from './certs.js';

const DAY = 86_400_000;
export const ONE_YEAR_HSTS = 'max-age=31536000; includeSubDomains';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A Node HTTPS server answering as a careful API does (assess-http-servers.ts's goodApi: 401 with
 * WWW-Authenticate to a caller without credentials, problems, security.txt), plus `headers` on
 * every answer: the TLS tests grade the transport, so the API-hygiene checks that run along
 * (ASSESS_CHECKS) find nothing to cap.
 */
export async function nodeTlsServer(options: ServerOptions, headers: Record<string, string> = {}): Promise<RunningServer> {
  const server = createHttpsServer(options, (request, response) => {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    goodApi(request, response, '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}/`, port, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** A plain HTTP server: redirects to `location` when given, else answers 200. */
export async function plainHttpServer(location?: string): Promise<RunningServer> {
  const server: HttpServer = createHttpServer((_request, response) => {
    if (location) response.writeHead(301, { location }).end();
    else response.writeHead(200, { 'content-type': 'text/plain' }).end('hello over clear text');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, port, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `openssl s_server` with `args` (protocol and cipher flags), ready once it prints ACCEPT. With
 * `files` it runs in `-HTTP` mode: a GET of `/<name>` answers with the file's content as the whole
 * HTTP response (status line and headers included), so the test chooses every header; any other
 * path gets s_server's own 200 error text. Without it, `-www` (a status page for every path).
 */
export async function opensslServer(cert: string, key: string, args: string[], files?: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  let cwd: string | undefined;
  if (files) {
    cwd = mkdtempSync(join(tmpdir(), 'portcullis-s-server-'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(cwd, name), content);
  }
  const child: ChildProcess = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, files ? '-HTTP' : '-www', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${output}`)), 10_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`openssl s_server exited ${code}: ${output}`));
    });
  });
  return {
    url: `https://127.0.0.1:${port}/`,
    port,
    close: () => new Promise((resolve) => { if (child.exitCode !== null) return resolve(); child.once('exit', () => resolve()); child.kill('SIGKILL'); }),
  };
}

export interface AssessPki {
  readonly pki: TestPki;
  /** Root CA PEM file to pass as --ca-file. */
  readonly caFile: string;
  /** Leaf + intermediate for 127.0.0.1/localhost (EC P-256). */
  readonly good: { cert: string; key: string };
  readonly expired: { cert: string; key: string };
  readonly wrongHost: { cert: string; key: string };
  /** The good leaf without its intermediate. */
  readonly leafOnly: { cert: string; key: string };
  readonly selfSigned: { cert: string; key: string };
  /** A self-signed RSA 2048 certificate for 127.0.0.1 (static RSA key exchange needs an RSA key); trust it as its own CA. */
  readonly rsa: { cert: string; key: string };
  /** A 1024-bit DH group (openssl dhparam), for the weak-DH server. */
  readonly dh1024: string;
}

/** Every certificate the assess tests need, in one temporary folder. */
export async function makeAssessPki(): Promise<AssessPki> {
  const pki = await makeTestPki();
  const write = (name: string, content: string) => {
    const path = join(pki.dir, name);
    writeFileSync(path, content);
    return path;
  };
  const now = Date.now();
  const leaf = async (name: string, options: { hosts: Array<{ type: 'dns' | 'ip'; value: string }>; notBefore: Date; notAfter: Date; chain: boolean }) => {
    const keys = await generateKeyPair();
    const certificate = await issueLeaf({ subject: `CN=${options.hosts[0]!.value}`, publicKey: keys.publicKey, issuer: pki.intermediate, notBefore: options.notBefore, notAfter: options.notAfter, usage: 'server', altNames: options.hosts });
    const pem = `${certificate.toString('pem')}\n${options.chain ? `${pki.intermediate.certificate.toString('pem')}\n` : ''}`;
    return { cert: write(`${name}.crt`, pem), key: write(`${name}.key`, await privateKeyToPem(keys.privateKey)) };
  };
  const local: Array<{ type: 'dns' | 'ip'; value: string }> = [{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }];
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const rsaKey = join(pki.dir, 'rsa.key');
  const rsaCert = join(pki.dir, 'rsa.crt');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', rsaKey, '-out', rsaCert, '-days', '90', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  const selfKey = join(pki.dir, 'self.key');
  const selfCert = join(pki.dir, 'self.crt');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', selfKey, '-out', selfCert, '-days', '90', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE']);
  const dh1024 = join(pki.dir, 'dh1024.pem');
  openssl(['dhparam', '-out', dh1024, '1024']);
  return {
    pki,
    caFile: pki.rootCa,
    good: await leaf('good', { hosts: local, notBefore: new Date(now - DAY), notAfter: new Date(now + 200 * DAY), chain: true }),
    expired: await leaf('expired', { hosts: local, notBefore: new Date(now - 30 * DAY), notAfter: new Date(now - DAY), chain: true }),
    wrongHost: await leaf('wrong-host', { hosts: [{ type: 'dns', value: 'api.elsewhere.example' }], notBefore: new Date(now - DAY), notAfter: new Date(now + 200 * DAY), chain: true }),
    leafOnly: await leaf('leaf-only', { hosts: local, notBefore: new Date(now - DAY), notAfter: new Date(now + 200 * DAY), chain: false }),
    selfSigned: { cert: selfCert, key: selfKey },
    rsa: { cert: rsaCert, key: rsaKey },
    dh1024,
  };
}

/** A whole HTTP/1.0 response for an `opensslServer` file: 200, text/plain, with `headers`. */
export function httpResponseFile(headers: Record<string, string> = {}): string {
  return `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\nhello\n`;
}

/** The strong profile: TLS 1.2 and 1.3, ECDHE with AEAD only, the server's order. */
export const STRONG_TLS: ServerOptions = { minVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256', honorCipherOrder: true };
