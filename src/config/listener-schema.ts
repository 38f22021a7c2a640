/**
 * The schema of a client-facing listener (`listeners[]`): its socket limits and timeouts, and its
 * TLS: versions, key-exchange groups, session tickets, OCSP stapling, HSTS and mutual TLS with
 * CRLs. Part of the config schema (schema.ts); the TLS versions and groups serve upstreams too.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';
import { DEFAULT_GROUPS, TLS_GROUPS } from '../net/tls-profile.js';
import { NAME, Secret } from './secret-schema.js';

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** Key-exchange groups: X25519, P-256, P-384 unless widened (see net/tls-profile.ts for why). */
export const Groups = (side: string) =>
  Type.Array(StringEnum(TLS_GROUPS, { description: 'An OpenSSL group name.' }), {
    minItems: 1,
    uniqueItems: true,
    default: [...DEFAULT_GROUPS],
    description: `Key-exchange groups ${side}, in order of preference. The finite-field groups (ffdhe*) and X448/P-521 cost far more CPU per handshake and are off by default.`,
  });

const CrlSources = Type.Object(
  {
    files: Type.Array(Type.String({ filePath: true }), { default: [], description: 'PEM or DER CRL files, read again at every refresh (relative to the config file).' }),
    urls: Type.Array(Type.String(), { default: [], description: 'http(s) URLs of CRLs, fetched at every refresh.' }),
    refreshSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'How often the CRLs are read and fetched again.' }),
    whenUnavailable: StringEnum(['fail-closed', 'fail-open'], {
      default: 'fail-closed',
      description: 'When no current CRL covers a certificate (unreachable, unparsable, past nextUpdate): fail-closed refuses it (401 auth.client_cert_invalid), fail-open accepts it; both are logged and counted.',
    }),
  },
  { additionalProperties: false, description: 'Certificate revocation lists checked for every client certificate.' },
);

const ClientCertificates = Type.Object(
  {
    mode: StringEnum(['off', 'optional', 'required'], {
      default: 'off',
      description: 'off: no certificate asked for; optional: asked for, routes decide (auth-mtls); required: every request on this listener needs a valid certificate (401 problem otherwise).',
    }),
    caFiles: Type.Array(Type.String({ filePath: true }), { default: [], description: 'PEM files of the CAs client certificates must chain to (roots and intermediates).' }),
    crl: Type.Optional(CrlSources),
  },
  { additionalProperties: false, default: {}, description: 'Mutual TLS: client certificates.' },
);

export const ListenerTls = Type.Object(
  {
    certFile: Type.Optional(Type.String({ filePath: true, description: 'PEM certificate chain file (leaf first).' })),
    keyFile: Type.Optional(Type.String({ filePath: true, description: 'PEM private key file (may be encrypted, see keyPassphrase).' })),
    cert: Type.Optional(Secret('PEM certificate chain, by secret reference (instead of certFile).')),
    key: Type.Optional(Secret('PEM private key, by secret reference (instead of keyFile).')),
    keyPassphrase: Type.Optional(Secret('Passphrase of an encrypted private key.')),
    minVersion: StringEnum(TLS_VERSIONS, { default: 'TLSv1.2', description: 'Oldest TLS version accepted: TLSv1.2 (default) or TLSv1.3.' }),
    watchFiles: Type.Boolean({ default: true, description: 'Load certFile/keyFile again when they change, without dropping connections.' }),
    groups: Groups('offered to clients'),
    sessionTickets: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Issue TLS session tickets (faster reconnects). Off by default: a ticket key, while it lives, can decrypt every session it sealed.' }),
        keyRotationSeconds: Type.Integer({ minimum: 60, maximum: 86400, default: 3600, description: 'A new ticket key (this node only, in memory) after this many seconds; tickets sealed with the old key are no longer accepted.' }),
      },
      { additionalProperties: false, default: {}, description: 'TLS session resumption by tickets (RFC 8446 §4.6.1, RFC 5077).' },
    ),
    ocspStapling: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: "Fetch the listener certificate's status from its issuer's OCSP responder (the certificate's Authority Information Access URL) and staple it to handshakes." }),
      },
      { additionalProperties: false, default: {}, description: 'OCSP stapling (RFC 6066 §8); a stapling failure never fails a handshake.' },
    ),
    hsts: Type.Object(
      {
        maxAgeSeconds: Type.Integer({ minimum: 0, default: 63072000, description: 'Strict-Transport-Security max-age in seconds (default two years, as Mozilla recommends; 0: no header).' }),
        includeSubDomains: Type.Boolean({ default: true, description: 'Add includeSubDomains.' }),
        preload: Type.Boolean({ default: false, description: 'Add preload (only if the domain is submitted to the preload list).' }),
      },
      { additionalProperties: false, default: {}, description: 'Strict-Transport-Security on every response of this listener (RFC 6797).' },
    ),
    clientCertificates: ClientCertificates,
  },
  { additionalProperties: false, description: 'Serve HTTPS: TLS 1.2+ with forward-secret AEAD suites only.' },
);

export const Listener = Type.Object(
  {
    name: Type.String({ pattern: NAME, description: 'Name used in logs and metrics.' }),
    host: Type.String({ default: '0.0.0.0', description: 'Address to bind.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port (0 picks a free port).' }),
    maxHeaderBytes: Type.Integer({ minimum: 1024, maximum: 1048576, default: 16384, description: 'Largest request head (request line and headers) in bytes; larger gets 431 (414 when the request line is what is too long).' }),
    maxUriBytes: Type.Integer({ minimum: 256, maximum: 1048576, default: 8192, description: 'Longest request target (path and query) in bytes; longer gets 414.' }),
    headersTimeoutMs: Type.Integer({ minimum: 1, default: 10000, description: 'Time allowed to receive the request head; slower clients get 408 (slowloris).' }),
    bodyIdleTimeoutMs: Type.Integer({ minimum: 1, default: 30000, description: 'Longest pause allowed between two chunks of a request body; 408 after.' }),
    requestTimeoutMs: Type.Integer({ minimum: 0, default: 300000, description: 'Time allowed to receive the whole request (0: no limit).' }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 0, default: 5000, description: 'How long an idle client connection is kept open.' }),
    tls: Type.Optional(ListenerTls),
    plainHttp: StringEnum(['serve', 'redirect', 'refuse'], {
      default: 'serve',
      description: 'A listener without tls: serve (e.g. an internal listener), redirect (308 to https) or refuse (403 request.https_required).',
    }),
    httpsPort: Type.Integer({ minimum: 1, maximum: 65535, default: 443, description: 'plainHttp redirect: the HTTPS port to redirect to.' }),
  },
  { additionalProperties: false, description: 'A socket the gateway accepts client traffic on.' },
);
