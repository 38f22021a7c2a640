/**
 * The one door to @peculiar/x509 (certificates, CSRs and CRLs without hand-written ASN.1). The
 * library resolves its algorithms through tsyringe, which needs the reflect-metadata polyfill
 * loaded first, and it must be told to use Node's WebCrypto: both happen here, once.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };

/** ECDSA P-256 with SHA-256: small keys, fast handshakes, accepted by every current TLS stack. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
