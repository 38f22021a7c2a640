/**
 * The TLS side of one HTTPS listener: its secure context (certificate, key, client CAs), its
 * client-certificate mode and revocation checker, and the check of a connection's client
 * certificate. The handshake never refuses a client for its certificate (`requestCert` with
 * `rejectUnauthorized: false`): the HTTP layer turns the outcome into a problem response with a
 * precise code, per listener (mode `required`) or per route (auth-mtls). The certificate is
 * parsed once per connection (and again after a reload, whose state starts empty); revocation is
 * looked up per request, in memory, so a CRL update reaches connections already open, and a
 * client CA removed by a reload stops being trusted on them too.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DetailedPeerCertificate, SecureContextOptions, TLSSocket } from 'node:tls';
import type { Clock } from '../core/clock.js';
import type { ClientCertificate, PeerCertificate } from '../core/context.js';
import type { ListenerTlsConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { normalizeSerial, parsePemBundle, RevocationChecker, type RevocationMetrics } from '../pki/revocation.js';
import { ocspSubject } from '../pki/ocsp.js';
import { x509 } from '../auth/x509.js';
import { OcspStapler } from './ocsp-stapler.js';
import { hstsHeader, listenerSecureContext, readPemFile } from '../config/tls-options.js';
import type { Outbound } from '../outbound/index.js';

export interface ListenerTlsMetrics extends RevocationMetrics {
  revocationUnknown(listener: string, action: 'refused' | 'allowed'): void;
  ocspRefresh?(result: 'ok' | 'failed'): void;
}

/** What a listener's TLS side needs: CRL and OCSP fetches go through `outbound`. */
export interface ListenerTlsOpenDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics?: ListenerTlsMetrics | undefined;
  readonly outbound: Outbound;
}

const NONE: ClientCertificate = Object.freeze({ status: 'none' });
/** While revocation status stays unknown, say so in the log at most this often. */
const UNKNOWN_LOG_INTERVAL_MS = 60000;

type PeerState = { present: false } | { present: true; authorized: boolean; error: string | undefined; certificate: PeerCertificate };

export class ListenerTls {
  readonly mode: ListenerTlsConfig['clientCertificates']['mode'];
  readonly hsts: string | undefined;
  readonly secureContext: SecureContextOptions;
  /** Every certificate this listener holds (its own chain, the client CAs), for the expiry watch. */
  readonly certificates: ReadonlyArray<{ kind: 'listener' | 'client_ca'; certificate: x509.X509Certificate }>;
  readonly #peers = new WeakMap<TLSSocket, PeerState>();
  readonly #revocation: RevocationChecker | undefined;
  /** SHA-256 of each configured client CA certificate. */
  readonly #caFingerprints: ReadonlySet<string>;
  #unknownLoggedAt = Number.NEGATIVE_INFINITY;
  /** Session tickets on: how long one ticket key lives (ms); undefined when tickets are off. */
  readonly #ticketKeyLifetimeMs: number | undefined;
  #ticketKey: Buffer | undefined;
  #ticketKeyCreatedAt = 0;
  /** OCSP stapling (tls.ocspStapling.enabled), when the certificate names a responder. */
  readonly #stapler: OcspStapler | undefined;

  private constructor(
    readonly name: string,
    config: ListenerTlsConfig,
    private readonly deps: ListenerTlsOpenDeps,
  ) {
    this.mode = config.clientCertificates.mode;
    this.hsts = hstsHeader(config);
    this.secureContext = listenerSecureContext(config);
    this.#ticketKeyLifetimeMs = config.sessionTickets.enabled ? config.sessionTickets.keyRotationSeconds * 1000 : undefined;
    const cas = this.mode === 'off' ? [] : config.clientCertificates.caFiles.flatMap((file) => parsePemBundle(readPemFile(file, 'tls.clientCertificates.caFiles')));
    this.#caFingerprints = new Set(cas.map((ca) => createHash('sha256').update(Buffer.from(ca.rawData)).digest('hex')));
    this.certificates = [
      ...parsePemBundle(String(this.secureContext.cert)).map((certificate) => ({ kind: 'listener' as const, certificate })),
      ...cas.map((certificate) => ({ kind: 'client_ca' as const, certificate })),
    ];
    if (config.ocspStapling.enabled) this.#stapler = this.#openStapler();
    const crl = config.clientCertificates.crl;
    if (this.mode !== 'off' && crl && (crl.files.length > 0 || crl.urls.length > 0)) {
      this.#revocation = new RevocationChecker(crl, cas, { ...deps, listener: name });
    }
  }

  /** Reads the files, loads the CRLs once and starts their refresh. */
  static async open(name: string, config: ListenerTlsConfig, deps: ListenerTlsOpenDeps): Promise<ListenerTls> {
    const tls = new ListenerTls(name, config, deps);
    if (tls.#revocation) {
      await tls.#revocation.refresh();
      tls.#revocation.start();
    }
    if (tls.#stapler) {
      // Bounded by the fetch deadline; a failure is logged and the listener starts without a staple.
      await tls.#stapler.refresh();
      tls.#stapler.start();
    }
    return tls;
  }

  #openStapler(): OcspStapler | undefined {
    try {
      const subject = ocspSubject(this.certificates.filter((entry) => entry.kind === 'listener').map((entry) => entry.certificate));
      return new OcspStapler(subject, { listener: this.name, logger: this.deps.logger, clock: this.deps.clock, outbound: this.deps.outbound, count: this.deps.metrics?.ocspRefresh?.bind(this.deps.metrics) });
    } catch (error) {
      this.deps.logger.warn({ event: 'ocsp.unavailable', listener: this.name, reason: (error as Error).message }, 'OCSP stapling is enabled but cannot work for this certificate: no staple');
      return undefined;
    }
  }

  /** The OCSP response to staple to a handshake now (tls.ocspStapling), or undefined. */
  ocspStaple(): Buffer | undefined {
    return this.#stapler?.current();
  }

  /** Fetches the OCSP response again now (tests; it also refreshes on its own schedule). */
  refreshOcsp(): Promise<boolean> {
    return this.#stapler?.refresh() ?? Promise.resolve(false);
  }

  /** Options for https.createServer: the secure context plus how client certificates are asked for. */
  serverOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: false } {
    return { ...this.secureContext, requestCert: this.mode !== 'off', rejectUnauthorized: false };
  }

  /**
   * Puts a new session-ticket key in force once the current one has lived keyRotationSeconds
   * (by the injected clock). Called as each TCP connection arrives, before its ClientHello is
   * read, so no ticket is accepted under a key past its time; Node's ticket key holds one key, so
   * tickets sealed with the old key then fall back to a full handshake. `force` sets the key
   * again after setSecureContext, whose fresh context carries a key of Node's own. The keys live
   * in this process's memory only (per node: sharing them across nodes waits for the vault).
   * No-op when tickets are off.
   */
  applyTicketKeys(server: { setTicketKeys(keys: Buffer): void }, force = false): void {
    if (this.#ticketKeyLifetimeMs === undefined) return;
    const now = this.deps.clock.now();
    if (this.#ticketKey === undefined || now - this.#ticketKeyCreatedAt >= this.#ticketKeyLifetimeMs) {
      const first = this.#ticketKey === undefined;
      // 48 bytes: key name (16), HMAC secret (16), AES key (16), as Node's setTicketKeys takes them.
      this.#ticketKey = randomBytes(48);
      this.#ticketKeyCreatedAt = now;
      force = true;
      if (!first) this.deps.logger.info({ event: 'tls.ticket_key_rotated', listener: this.name }, 'new session-ticket key in force');
    }
    if (force) server.setTicketKeys(this.#ticketKey);
  }

  /** Loads the CRLs again now (tests; an operator's reload). */
  refreshRevocation(): Promise<void> {
    return this.#revocation?.refresh() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.#stapler?.stop();
    await this.#revocation?.stop();
  }

  /** The client-certificate outcome for a request on this socket. */
  inspect(socket: TLSSocket): ClientCertificate {
    if (this.mode === 'off') return NONE;
    let peer = this.#peers.get(socket);
    if (!peer) this.#peers.set(socket, (peer = readPeer(socket, this.#caFingerprints)));
    if (!peer.present) return NONE;
    const { certificate } = peer;
    if (!peer.authorized) return { status: 'invalid', reason: peer.error ?? 'UNVERIFIED', certificate };
    if (!this.#revocation) return { status: 'verified', certificate };
    // A CRL is chosen by its issuer's name, which only means something when that issuer is one of
    // our configured CAs: under an intermediate we do not know, no CRL of ours applies.
    const status = certificate.issuedByConfiguredCa ? this.#revocation.check(certificate.issuer, certificate.serial) : 'unknown';
    if (status === 'revoked') return { status: 'revoked', certificate };
    if (status === 'good') return { status: 'verified', certificate };
    return this.#unknown(certificate);
  }

  #unknown(certificate: PeerCertificate): ClientCertificate {
    const action = this.#revocation!.whenUnavailable === 'fail-open' ? 'allowed' : 'refused';
    this.deps.metrics?.revocationUnknown(this.name, action);
    const now = this.deps.clock.now();
    if (now - this.#unknownLoggedAt >= UNKNOWN_LOG_INTERVAL_MS) {
      this.#unknownLoggedAt = now;
      this.deps.logger.warn(
        { event: 'crl.status_unknown', listener: this.name, issuer: certificate.issuer, action },
        action === 'allowed' ? 'no current CRL for a client certificate: accepted (fail-open)' : 'no current CRL for a client certificate: refused (fail-closed)',
      );
    }
    return action === 'allowed' ? { status: 'verified', certificate } : { status: 'invalid', reason: 'REVOCATION_STATUS_UNKNOWN', certificate };
  }
}

function readPeer(socket: TLSSocket, caFingerprints: ReadonlySet<string>): PeerState {
  // Only the detailed form: after getPeerX509Certificate(), Node (20) no longer links the
  // certificates the client sent, and the chain would end at the leaf.
  const detailed = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  if (!detailed?.raw) return { present: false };
  const peer = { raw: detailed.raw };
  const fingerprint = (raw: Buffer) => createHash('sha256').update(raw).digest('hex');
  // The issuer as OpenSSL verified the chain: its certificate, not only its name.
  const issuerRaw = socket.authorized ? detailed.issuerCertificate?.raw : undefined;
  const issuedByConfiguredCa = issuerRaw !== undefined && caFingerprints.has(fingerprint(issuerRaw));
  // A connection keeps the trust store of its handshake, while a reload may have removed the CA
  // that anchored it since: its chain must still end at a CA of the current list.
  let authorized = socket.authorized;
  let error = socket.authorizationError === undefined ? undefined : String(socket.authorizationError);
  if (authorized && !caFingerprints.has(fingerprint(trustAnchor(detailed).raw))) {
    authorized = false;
    error = 'CA_NO_LONGER_TRUSTED';
  }
  const parsed = new x509.X509Certificate(peer.raw);
  const names = parsed.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  const certificate: PeerCertificate = {
    fingerprint: createHash('sha256').update(peer.raw).digest('hex'),
    subject: parsed.subject,
    issuer: parsed.issuer,
    serial: normalizeSerial(parsed.serialNumber),
    altNames: names.map((name) => `${ALT_NAME_PREFIX[name.type] ?? name.type}:${name.value}`),
    notAfter: parsed.notAfter.getTime(),
    issuedByConfiguredCa,
  };
  return { present: true, authorized, error, certificate };
}

/** The last certificate of the verified chain (Node links a self-signed root to itself). */
function trustAnchor(certificate: DetailedPeerCertificate): DetailedPeerCertificate {
  let current = certificate;
  for (let depth = 0; depth < 16 && current.issuerCertificate && current.issuerCertificate !== current; depth++) current = current.issuerCertificate;
  return current;
}

/** The prefixes OpenSSL and Node print for SAN types, so configs read as `openssl x509 -text` shows. */
const ALT_NAME_PREFIX: Record<string, string> = { dns: 'DNS', url: 'URI', email: 'email', ip: 'IP' };
