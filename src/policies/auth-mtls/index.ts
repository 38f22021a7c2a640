/**
 * Authenticates a request by the TLS client certificate the listener verified (chain, validity,
 * revocation: see server/listener-tls.ts) and maps it to a consumer: by a config rule on its
 * SHA-256 fingerprint, subject or a subject alternative name, or, for certificates our own CA
 * issued with `certs issue --consumer`, by the consumer URI they carry, trusted only from the
 * issuers listed. The principal then works as for API keys (authorize, rate limits, identity
 * headers). Composition with other auth policies: core/auth-composition.ts.
 */
import { Type } from '@sinclair/typebox';
import { establishPrincipal } from '../../core/auth-composition.js';
import { blockedError, clientCertificateError, countCertificateFailure, type FailureAccounting } from '../../core/client-certificate.js';
import { CONSUMER_ID_PATTERN, isSafeConsumerId } from '../../core/consumer-id.js';
import type { ClientCertificate, PeerCertificate, RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { definePolicy, policyConfig, type ConfigIssue } from '../../core/policy.js';
import { CONSUMER_URI_PREFIX } from '../../auth/consumer-uri.js';
import { distinguishedName } from '../../auth/x509-name.js';

const Scopes = Type.Array(Type.String({ pattern: '^[!#-\\[\\]-~]+$' }), { default: [], description: 'Scopes the principal holds.' });

const configSchema = policyConfig(
  {
    required: Type.Boolean({ default: true, description: 'false: a request without a client certificate passes on unauthenticated (another auth policy or authorize decides); an invalid or revoked one is still refused.' }),
    consumers: Type.Array(
      Type.Object(
        {
          consumerId: Type.String({ pattern: CONSUMER_ID_PATTERN, description: 'The consumer this certificate authenticates as (visible ASCII without , ; " \\).' }),
          consumerName: Type.Optional(Type.String({ description: 'Name for identity headers when there is no store (else the stored name).' })),
          scopes: Scopes,
          fingerprintSha256: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', description: 'Match: the SHA-256 fingerprint (hex, colons optional).' })),
          subject: Type.Optional(Type.String({ description: 'Match: the subject DN, RFC 4514 (`CN=acme, O=Acme Corp`).' })),
          san: Type.Optional(Type.String({ pattern: '^(DNS|URI|email|IP):.+$', description: 'Match: one subject alternative name, e.g. `URI:spiffe://acme/payments`, `DNS:api.acme.example`.' })),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Rules mapping verified certificates to consumers; exactly one of fingerprintSha256, subject or san per rule.' },
    ),
    consumerUri: Type.Object(
      {
        issuers: Type.Array(Type.String(), { default: [], description: 'Subject DNs of CAs (ours: `ca init`) whose `urn:portcullis:consumer:<id>` SAN is trusted to name the consumer.' }),
        scopes: Scopes,
      },
      { additionalProperties: false, default: {}, description: 'Certificates issued with `portcullis certs issue --consumer`.' },
    ),
  },
  'Authenticates requests by TLS client certificate (mTLS).',
);

interface Rule {
  readonly consumerId: string;
  readonly consumerName: string | undefined;
  readonly scopes: readonly string[];
}

const normalizeFingerprint = (value: string) => value.replace(/:/g, '').toLowerCase();
/** RFC 4514 text in the certificate's own order; refuses what the parser would read as an empty name. */
function normalizeName(value: string): string {
  const name = distinguishedName(value);
  if (name === '') throw new Error('empty distinguished name');
  return name;
}

export const authMtls = definePolicy({
  name: 'auth-mtls',
  description: 'Authenticates requests by a verified TLS client certificate mapped to a consumer.',
  enabledByDefault: false,
  configSchema,
  requires: ['authFailures'],
  check(config) {
    const issues: ConfigIssue[] = [];
    config.consumers.forEach((rule, index) => {
      const matchers = [rule.fingerprintSha256, rule.subject, rule.san].filter((value) => value !== undefined).length;
      if (matchers !== 1) issues.push({ path: `consumers[${index}]`, message: 'needs exactly one of fingerprintSha256, subject or san' });
      for (const [field, value] of [['subject', rule.subject]] as const) {
        if (value === undefined) continue;
        try {
          normalizeName(value);
        } catch {
          issues.push({ path: `consumers[${index}].${field}`, message: 'is not a distinguished name (e.g. CN=acme, O=Acme Corp; no spaces around =)' });
        }
      }
    });
    config.consumerUri.issuers.forEach((issuer, index) => {
      try {
        normalizeName(issuer);
      } catch {
        issues.push({ path: `consumerUri.issuers[${index}]`, message: 'is not a distinguished name (e.g. CN=Portcullis Partner CA; no spaces around =)' });
      }
    });
    return issues;
  },
  create(config, deps) {
    const byFingerprint = new Map<string, Rule>();
    const bySubject = new Map<string, Rule>();
    const bySan = new Map<string, Rule>();
    for (const rule of config.consumers) {
      const entry: Rule = { consumerId: rule.consumerId, consumerName: rule.consumerName, scopes: Object.freeze([...rule.scopes]) };
      if (rule.fingerprintSha256 !== undefined) byFingerprint.set(normalizeFingerprint(rule.fingerprintSha256), entry);
      if (rule.subject !== undefined) bySubject.set(normalizeName(rule.subject), entry);
      if (rule.san !== undefined) bySan.set(rule.san, entry);
    }
    const uriIssuers = new Set(config.consumerUri.issuers.map(normalizeName));
    const uriScopes = Object.freeze([...config.consumerUri.scopes]);
    const directory = deps.services.consumers;
    const failures = deps.services.authFailures;
    const accounting = (ctx: RequestContext): FailureAccounting => ({
      failures,
      clientIp: ctx.clientIp,
      now: deps.clock.now(),
      onBlocked: () => deps.logger.warn({ event: 'auth.client_blocked', clientIp: ctx.clientIp, requestId: ctx.requestId }, 'too many failed authentications: client blocked'),
    });

    /**
     * Counts the failure, then refuses. Async only on this path: under `--workers` the count is
     * the primary's, and the answer waits until every worker knows of a block it starts.
     */
    async function refuseCounted(outcome: ClientCertificate | undefined, failure: FailureAccounting, error: GatewayError): Promise<never> {
      await countCertificateFailure(outcome, failure);
      throw error;
    }

    /**
     * Our own CA's consumer URI first: it is what `certs issue --consumer` wrote, and a partner must
     * not get another consumer's identity by asking for its subject in a CSR. It counts only when
     * the issuer is a configured CA certificate with a listed name (a rogue intermediate can copy
     * the name, not the certificate). Then the most specific rule: fingerprint, subject, SAN.
     */
    function findRule(certificate: PeerCertificate): Rule | undefined {
      if (certificate.issuedByConfiguredCa && uriIssuers.has(certificate.issuer)) {
        const uri = certificate.altNames.find((name) => name.startsWith(`URI:${CONSUMER_URI_PREFIX}`));
        const consumerId = uri?.slice(4 + CONSUMER_URI_PREFIX.length);
        // Our CA writes only safe ids; a URI that holds anything else names no consumer.
        if (consumerId !== undefined) return isSafeConsumerId(consumerId) ? { consumerId, consumerName: undefined, scopes: uriScopes } : undefined;
      }
      return byFingerprint.get(certificate.fingerprint) ?? bySubject.get(certificate.subject) ?? certificate.altNames.map((name) => bySan.get(name)).find(Boolean);
    }

    return {
      authenticate: function authenticateClientCertificate(ctx) {
        const outcome = ctx.clientCertificate;
        if ((!outcome || outcome.status === 'none') && !config.required) return;
        // Brute-force protection covers certificates too (bruteForce): a blocked client gets 429
        // whatever it presents, and refused certificates count (see certificateFailureCounts).
        const failure = accounting(ctx);
        const blocked = blockedError(failure);
        if (blocked) {
          ctx.logFields.authFailure = 'blocked';
          throw blocked;
        }
        const refused = clientCertificateError(outcome);
        if (refused) {
          ctx.logFields.authFailure = outcome?.status === 'invalid' ? outcome.reason : (outcome?.status ?? 'none');
          return refuseCounted(outcome, failure, refused);
        }
        if (outcome?.status !== 'verified') throw new GatewayError('internal', { internal: 'unreachable client certificate outcome' });
        const certificate = outcome.certificate;
        const rule = findRule(certificate);
        const stored = rule && directory ? directory.consumer(rule.consumerId) : undefined;
        if (!rule || (directory && !stored)) {
          ctx.logFields.authFailure = 'unknown_certificate';
          ctx.logFields.certificateFingerprint = certificate.fingerprint;
          return refuseCounted(outcome, failure, new GatewayError('auth.client_cert_unknown', { detail: 'The client certificate is not registered for any consumer.', internal: `no consumer for ${certificate.subject} (${certificate.fingerprint})` }));
        }
        if (stored && !stored.active) {
          ctx.logFields.authFailure = 'consumer_disabled';
          return refuseCounted(outcome, failure, new GatewayError('auth.consumer_disabled', { detail: 'The consumer this certificate belongs to is disabled.' }));
        }
        establishPrincipal(ctx, {
          type: 'client_certificate',
          consumerId: rule.consumerId,
          consumerName: stored?.name ?? rule.consumerName ?? rule.consumerId,
          scopes: rule.scopes,
          credentialId: certificate.fingerprint,
          subject: certificate.subject,
        });
      },
    };
  },
});
