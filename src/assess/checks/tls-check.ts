/**
 * The TLS check of `portcullis assess` (issue 23 §2): protocols, suites, preference order and
 * key-exchange groups, learnt by real handshakes (tls/enumerate.ts). Each weak suite is named in
 * its finding, so the provider knows exactly what to remove.
 */
import type { AssessCheck, AssessFinding, AssessTarget } from '../finding.js';
import { ProviderUnreachableError } from '../run-assessment.js';
import { enumerateTls, type SuiteOffer, type TlsOffer } from '../tls/enumerate.js';
import { handshake } from '../tls/handshake.js';
import { admittedEndpoint } from '../tls/endpoint.js';
import { found, notTested } from './found.js';
import { TLS_RULES } from './tls-rules.js';

/** Whether an IANA suite name lacks forward secrecy: static RSA, static DH or static ECDH key exchange. */
export function withoutForwardSecrecy(standardName: string): boolean {
  return /^TLS_(RSA|DH|ECDH)_(?!anon)/.test(standardName) || /^TLS_(DH|ECDH)_(RSA|DSS|ECDSA)_WITH/.test(standardName);
}

/** The TLS check; `enumerate` is the handshake prober (the tests and the bench reuse it). */
export function tlsCheck(enumerate: typeof enumerateTls = enumerateTls): AssessCheck {
  return {
    name: 'tls',
    rules: Object.values(TLS_RULES),
    async run(target: AssessTarget): Promise<AssessFinding[]> {
      // No CA: these handshakes learn what is offered and never look at whether the chain verifies.
      const endpoint = await admittedEndpoint(target, undefined);
      const probe = await handshake({ ...endpoint });
      if (!probe.ok && probe.reason !== 'refused') throw new ProviderUnreachableError(`${endpoint.host}:${endpoint.port}: ${probe.error}`);
      return tlsFindings(await enumerate(endpoint), `${endpoint.host}:${endpoint.port}`);
    },
  };
}

/** The findings of what `offer` shows at `where`. */
export function tlsFindings(offer: TlsOffer, where: string): AssessFinding[] {
  const findings: AssessFinding[] = [];
  const byProtocol = new Map(offer.protocols.map((protocol) => [protocol.protocol, protocol]));
  if (![...byProtocol.values()].some((protocol) => protocol.offered)) return [found(TLS_RULES.noHandshake, 'every protocol version and suite was refused', where)];
  if (byProtocol.get('TLSv1')?.offered) findings.push(found(TLS_RULES.tls10, 'TLS 1.0 offered', where));
  if (byProtocol.get('TLSv1.1')?.offered) findings.push(found(TLS_RULES.tls11, 'TLS 1.1 offered', where));
  if (!byProtocol.get('TLSv1.2')?.offered && !byProtocol.get('TLSv1.3')?.offered) findings.push(found(TLS_RULES.noModern, 'neither TLS 1.2 nor TLS 1.3 offered', where));
  findings.push(found(TLS_RULES.groups, offer.groups.length > 0 ? offer.groups.join(', ') : 'none accepted alone', where));
  findings.push(byProtocol.get('TLSv1.3')?.offered ? found(TLS_RULES.tls13, `TLS 1.3 offered (${byProtocol.get('TLSv1.3')!.suites.map((s) => s.standardName).join(', ')})`, where) : found(TLS_RULES.noTls13, 'TLS 1.3 not offered', where));
  findings.push(notTested(TLS_RULES.sslNotTested, 'SSLv2/SSLv3: this client cannot offer them', where));
  findings.push(notTested(TLS_RULES.legacyNotTested, '3DES, RC4, export: this client cannot offer them', where));
  const suites = new Map<string, SuiteOffer>();
  for (const protocol of offer.protocols) for (const suite of protocol.suites) suites.set(suite.standardName, suite);
  const named = (filter: (suite: SuiteOffer) => boolean): string[] => [...suites.values()].filter(filter).map((suite) => suite.standardName).sort();
  const report = (rule: (typeof TLS_RULES)[keyof typeof TLS_RULES], names: string[]): void => {
    if (names.length > 0) findings.push(found(rule, names.join(', '), where));
  };
  report(TLS_RULES.nullCipher, named((s) => s.standardName.includes('_WITH_NULL_')));
  report(TLS_RULES.anonymous, named((s) => s.standardName.includes('_anon_')));
  report(TLS_RULES.noForwardSecrecy, named((s) => withoutForwardSecrecy(s.standardName)));
  report(TLS_RULES.cbc, named((s) => s.standardName.includes('_CBC_')));
  report(TLS_RULES.weakDh, named((s) => s.ephemeral.type === 'DH' && (s.ephemeral.size ?? 0) < 2048).map((name) => `${name} (DH ${suites.get(name)!.ephemeral.size} bits)`));
  const clientOrder = offer.protocols.filter((protocol) => protocol.serverOrder === false).map((protocol) => protocol.protocol);
  if (clientOrder.length > 0) findings.push(found(TLS_RULES.clientOrder, `no server preference in ${clientOrder.join(', ')}`, where));
  return findings;
}
