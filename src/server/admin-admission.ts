/**
 * Who may talk to the admin listener at all, decided for every request before anything else
 * (probes, /metrics and the admin API alike, before any authentication): its client address must
 * be in `admin.allowlist` (when one is set), and with `admin.tls.clientCertificates.mode:
 * required` its connection must carry a client certificate that chains to the configured CAs and
 * is not revoked (`optional`: one presented must be valid; none is fine). The client address is
 * resolved as on the data plane: X-Forwarded-For counts only when the peer is a trusted proxy.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { clientCertificateError } from '../core/client-certificate.js';
import { GatewayError } from '../core/errors.js';
import { CidrSet } from '../net/cidr.js';
import { normalizeIp, resolveClientIp, type TrustedProxies } from '../net/client-ip.js';
import type { ListenerTls } from './listener-tls.js';

export type AdminRefusal = 'allowlist' | 'client_certificate';

export interface AdminAdmissionState {
  /** `admin.allowlist` of the config in force ([]: every address). */
  readonly allowlist: () => readonly string[];
  readonly trustedProxies: () => TrustedProxies;
  /** The admin listener's TLS state in force; undefined for plain HTTP. */
  readonly tls: () => ListenerTls | undefined;
  /** Logs and counts a refusal (`clientIp` as resolved, for the allowlist). */
  readonly refused: (reason: AdminRefusal, clientIp: string, code: string) => void;
}

/** Compiled allowlists by the array they came from: a reload brings a new array, hence a new set. */
const compiled = new WeakMap<readonly string[], CidrSet>();

/** Undefined when the request may go on; else the problem to answer with (already logged and counted). */
export function refuseAdminRequest(req: IncomingMessage, state: AdminAdmissionState): GatewayError | undefined {
  const allowlist = state.allowlist();
  if (allowlist.length > 0) {
    const peer = normalizeIp(req.socket.remoteAddress);
    const resolved = resolveClientIp(peer, req.headers['x-forwarded-for'], state.trustedProxies());
    let set = compiled.get(allowlist);
    if (!set) compiled.set(allowlist, (set = new CidrSet(allowlist)));
    // A broken X-Forwarded-For chain from a trusted proxy names no client: refused, never guessed.
    const clientIp = resolved.ok ? resolved.clientIp : peer;
    if (!resolved.ok || !set.has(clientIp)) {
      state.refused('allowlist', clientIp, 'network.ip_blocked');
      return new GatewayError('network.ip_blocked', { detail: 'This address may not use the admin listener (admin.allowlist).' });
    }
  }
  const tls = state.tls();
  if (tls && tls.mode !== 'off') {
    const outcome = tls.inspect(req.socket as TLSSocket);
    const problem = tls.mode === 'required' || outcome.status !== 'none' ? clientCertificateError(outcome) : undefined;
    if (problem) {
      state.refused('client_certificate', normalizeIp(req.socket.remoteAddress), problem.code);
      return problem;
    }
  }
  return undefined;
}
