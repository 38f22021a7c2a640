/**
 * Every upstream target, live: one connection per target through the gateway's outbound client
 * (the config's egress rules, the upstream's TLS options: its CAs, client certificate, server
 * name), bounded by the probe timeout and the upstream's connect timeout; nothing is sent. A
 * target the egress rules refuse or that does not answer is PF-UPSTREAM-001, one whose certificate
 * does not verify PF-UPSTREAM-002, and a server certificate close to its end PF-CERT-001.
 * Skipped offline, and without resolved secrets (a client key may be a reference still).
 */
import { egressPolicyOf } from '../../../config/egress-declarations.js';
import { upstreamTls } from '../../../config/tls-options.js';
import { Outbound, type OutboundTls } from '../../../outbound/index.js';
import { CHECKLIST, defineCheck, finding, OWASP, type Finding } from '../check.js';
import { probeEndpoint } from '../probe.js';
import { expiryFinding } from './certificates.js';

export const upstreamsCheck = defineCheck(
  'upstreams',
  {
    unreachable: {
      id: 'PF-UPSTREAM-001',
      severity: 'high',
      title: 'An upstream target that cannot be reached (no answer, refused, or refused by the egress rules)',
      why: `${OWASP.API10}; ${CHECKLIST.infrastructure}`,
      fix: 'Check the target URL, DNS and the network path from the gateway host; when the egress rules refuse it, declare the destination (docs/egress.md).',
    },
    certificateInvalid: {
      id: 'PF-UPSTREAM-002',
      severity: 'high',
      title: 'An upstream target whose TLS certificate fails verification (untrusted issuer, wrong name, expired)',
      why: `${OWASP.API10}; ${CHECKLIST.infrastructure}`,
      fix: "Have the upstream serve a certificate for its name from a CA you trust, or add that CA to the upstream's `tls.caFiles` (certificates are always verified: there is no switch to turn that off).",
    },
  },
  async ({ config, offline, secretsResolved, timeoutMs, clock }, rules) => {
    if (offline || !secretsResolved) return [];
    const outbound = new Outbound();
    outbound.egress.setPolicy(egressPolicyOf(config));
    const probes: Array<Promise<Finding[]>> = [];
    for (const [name, upstream] of Object.entries(config.upstreams)) {
      const tls = upstreamTls(upstream);
      const connectTimeoutMs = Math.min(upstream.connectTimeoutMs, timeoutMs);
      const connector = outbound.upstreamConnector(name, { tls: tls as unknown as OutboundTls, connectTimeoutMs });
      upstream.targets.forEach((target, index) => {
        const url = new URL(target);
        const where = { path: `upstreams.${name}.targets[${index}]`, url: url.origin };
        probes.push(
          probeEndpoint(connector, url, { servername: tls.servername, timeoutMs: connectTimeoutMs }).then((outcome): Finding[] => {
            if (!outcome.ok) {
              const rule = outcome.kind === 'certificate' ? rules.certificateInvalid : rules.unreachable;
              const what = outcome.kind === 'egress' ? 'is refused by the egress rules' : outcome.kind === 'certificate' ? 'presents a certificate that does not verify' : 'does not answer';
              return [finding(rule, `upstream ${name} at ${url.origin} ${what}: ${outcome.reason}`, where)];
            }
            const certificate = outcome.peerCertificate;
            const expiring = certificate && expiryFinding({ what: `the server certificate of upstream ${name} at ${url.origin}`, path: where.path, subject: certificate.subject, notAfter: certificate.notAfter }, clock.now(), config.certificateExpiry.warningDays);
            return expiring ? [{ ...expiring, where }] : [];
          }),
        );
      });
    }
    try {
      return (await Promise.all(probes)).flat();
    } finally {
      await outbound.close();
    }
  },
);
