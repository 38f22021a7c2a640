/**
 * The private CA and every certificate the gateway holds (issue 25, docs/tls.md#issuing-through-the-admin-api):
 * GET /v1/ca (the CA certificate, its CRL's state, whether this gateway issues), GET /v1/certificates
 * (what the CA issued, paginated), GET /v1/certificates/expiries (listener, client-CA and upstream
 * certificates, the CA and its CRL, soonest first). Reading needs `certificates:read` (metadata).
 *
 * Issuing from a CSR and revoking need the CA key, which by design stays off the running gateway
 * (cli/ca-command.ts): POST /v1/certificates and POST /v1/certificates/:serial/revoke answer
 * 409 admin.ca_issuing_off unless the operator opted in with `pki.issuing.caKey` (a secret
 * reference). When on, they need `certificates:write` / `certificates:revoke` and a fresh second
 * factor, run as units of work of the caller (audited: certificate.issue, certificate.revoke), and a
 * revocation signs a new CRL that this node's listeners load at once.
 */
import { Type } from '@sinclair/typebox';
import { GatewayError } from '../../core/errors.js';
import { certificatePageKey, listIssuedCertificates, readCaState } from '../../pki/ca-status.js';
import { CaError, PrivateCa } from '../../pki/private-ca.js';
import type { IssuedRecord } from '../../pki/ledger.js';
import { PkiRepository } from '../../store/pki-repository.js';
import { listOf, listQuery, paginate } from '../pagination.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../route.js';
import { ConsumerId, Empty, NullableTimestamp, requireService, Timestamp } from './common.js';

const DAY_MS = 86_400_000;

const CertificateSchema = Type.Object(
  {
    serial: Type.String({ description: 'Lower-case hex, no leading zeros.' }),
    consumerId: Type.String(),
    subject: Type.String(),
    fingerprintSha256: Type.String(),
    notBefore: Timestamp,
    notAfter: Timestamp,
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    revokedAt: NullableTimestamp,
    daysLeft: Type.Integer({ description: 'Whole days until notAfter (negative once expired).' }),
  },
  { additionalProperties: false },
);

/** The newest CRL of the private CA, as GET /v1/ca and POST /v1/ca/crl show it. */
const CrlStateSchema = Type.Object(
  {
    crlNumber: Type.Union([Type.Integer(), Type.Null()]),
    thisUpdate: Timestamp,
    nextUpdate: NullableTimestamp,
    revokedCount: Type.Integer(),
    stale: Type.Boolean({ description: 'Past nextUpdate (RFC 5280 §5.1.2.5): run `portcullis ca crl`, or POST /v1/ca/crl on a gateway with pki.issuing.' }),
  },
  { additionalProperties: false },
);

const CaSchema = Type.Object(
  {
    configured: Type.Boolean({ description: 'false: no pki.caDir in the running config (everything else is null or off).' }),
    certificate: Type.Union([
      Type.Object(
        {
          subject: Type.String(),
          serial: Type.String(),
          notBefore: Timestamp,
          notAfter: Timestamp,
          fingerprintSha256: Type.String(),
          ledger: Type.Union([Type.Literal('store'), Type.Literal('file')], { description: 'Where issued and revoked records are kept.' }),
          daysLeft: Type.Integer(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    crl: Type.Union([CrlStateSchema, Type.Null()]),
    issuing: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Whether POST /v1/certificates and …/revoke work on this gateway (pki.issuing).' }),
        detail: Type.String(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const ExpirySchema = Type.Object(
  {
    kind: Type.Union(['listener', 'client_ca', 'upstream_client', 'upstream_server', 'ca', 'crl'].map((kind) => Type.Literal(kind)), {
      description: 'listener, client_ca (a listener trusts it), upstream_client, upstream_server (seen on connect), ca (our private CA), crl (our CA\'s CRL, by nextUpdate).',
    }),
    name: Type.String({ description: 'The listener, upstream or CA folder it belongs to.' }),
    subject: Type.String(),
    serial: Type.String(),
    notAfter: Timestamp,
    daysLeft: Type.Integer(),
    state: Type.Union([Type.Literal('ok'), Type.Literal('expiring'), Type.Literal('expired')], { description: 'expiring: within certificateExpiry.warningDays.' }),
  },
  { additionalProperties: false },
);

const OFF_DETAIL = 'This gateway does not hold the CA key: issue and revoke with `portcullis certs issue` / `portcullis certs revoke --config …` on the CA host (pki.issuing opts in).';
const ON_DETAIL = 'This gateway issues from a CSR and revokes (pki.issuing): each needs a fresh second factor and is audited.';

const daysLeft = (notAfter: number, now: number) => Math.floor((notAfter - now) / DAY_MS);

function certificatesOf(services: AdminServices) {
  return requireService(services.certificates, 'certificates');
}

function caDirOf(services: AdminServices): string {
  const pki = certificatesOf(services).pki();
  if (!pki) throw new GatewayError('admin.not_found', { detail: 'No private CA is configured (pki.caDir).' });
  return pki.caDir;
}

function repositoryOf(services: AdminServices): PkiRepository | undefined {
  return services.store ? new PkiRepository(services.store.db) : undefined;
}

function view(record: IssuedRecord, now: number) {
  return { ...record, revokedAt: record.revokedAt ?? null, daysLeft: daysLeft(Date.parse(record.notAfter), now) };
}

/** The CA with its key, for a gateway that opted in; 409 admin.ca_issuing_off otherwise. */
async function openCa(services: AdminServices, actor: import('../../core/actor.js').Actor): Promise<PrivateCa> {
  const pki = certificatesOf(services).pki();
  if (!pki?.issuing) throw new GatewayError('admin.ca_issuing_off', { detail: OFF_DETAIL });
  const store = requireService(services.store, 'the store');
  try {
    return await PrivateCa.openWithKeySecret(pki.caDir, pki.issuing.caKey(), { store, actor });
  } catch (error) {
    // The message names the environment variable or the folder, never the secret.
    if (error instanceof CaError) throw new GatewayError('admin.ca_issuing_off', { detail: `The CA key cannot be opened with pki.issuing.caKey: ${error.message}`, internal: error.message });
    throw error;
  }
}

/** A CaError of an operator's input (a CSR that does not verify, an unknown serial) as a problem. */
function caProblem(error: unknown): never {
  if (!(error instanceof CaError)) throw error;
  if (/^no certificate with serial/.test(error.message)) throw new GatewayError('admin.not_found', { detail: error.message });
  throw new GatewayError('admin.invalid_request', { detail: error.message });
}

export const certificateRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/ca',
    summary: "The private CA: its certificate, its newest CRL's state (thisUpdate, nextUpdate, revoked count, stale) and whether this gateway issues and revokes",
    permission: 'certificates:read',
    status: 200,
    responseSchema: CaSchema,
    async handler({ services }) {
      const pki = certificatesOf(services).pki();
      const issuing = { enabled: pki?.issuing !== undefined, detail: pki?.issuing ? ON_DETAIL : OFF_DETAIL };
      if (!pki) return { configured: false, certificate: null, crl: null, issuing };
      const now = services.clock.now();
      const state = await readCaState(pki.caDir, repositoryOf(services), now);
      return { configured: true, certificate: { ...state.certificate, daysLeft: daysLeft(Date.parse(state.certificate.notAfter), now) }, crl: state.crl, issuing };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/certificates',
    summary: 'The certificates the private CA issued, in order of issuance: serial, consumer, subject, validity, status and days left',
    permission: 'certificates:read',
    querySchema: listQuery({
      status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')], { description: 'Only certificates in this state.' })),
      consumerId: Type.Optional(ConsumerId),
    }),
    status: 200,
    responseSchema: listOf(CertificateSchema),
    errors: ['admin.invalid_request', 'admin.not_found'],
    async handler({ query, services }) {
      const records = (await listIssuedCertificates(caDirOf(services), repositoryOf(services))).filter(
        (record) => (query.status === undefined || record.status === query.status) && (query.consumerId === undefined || record.consumerId === query.consumerId),
      );
      const page = await paginate(query, async ({ after, limit }) => (after === undefined ? records : records.filter((record) => comesAfter(record, after))).slice(0, limit), certificatePageKey);
      const now = services.clock.now();
      return { items: page.items.map((record) => view(record, now)), nextCursor: page.nextCursor };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/certificates/expiries',
    summary: 'When every certificate the gateway holds expires, soonest first: listener and client-CA certificates, upstream client and server certificates, the private CA and its CRL',
    permission: 'certificates:read',
    status: 200,
    responseSchema: Type.Object({ warningDays: Type.Integer(), items: Type.Array(ExpirySchema) }, { additionalProperties: false }),
    async handler({ services }) {
      const certificates = certificatesOf(services);
      const now = services.clock.now();
      const warningDays = certificates.warningDays();
      const items = certificates
        .known()
        .filter((known) => known.kind !== 'issued')
        .sort((a, b) => a.notAfter - b.notAfter)
        .map((known) => ({
          kind: known.kind,
          name: known.name,
          subject: known.subject,
          serial: known.serial,
          notAfter: new Date(known.notAfter).toISOString(),
          daysLeft: daysLeft(known.notAfter, now),
          state: known.notAfter <= now ? 'expired' : known.notAfter - now <= warningDays * DAY_MS ? 'expiring' : 'ok',
        }));
      return { warningDays, items };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/certificates',
    summary: "Issue a partner's client certificate from its CSR (PKCS#10, PEM) for a consumer, with the private CA: only when this gateway holds the CA key (pki.issuing); step-up; audited",
    permission: 'certificates:write',
    stepUp: true,
    bodySchema: Type.Object(
      {
        consumerId: ConsumerId,
        csr: Type.String({ minLength: 1, maxLength: 16384, description: "The partner's PKCS#10 request, PEM: the partner keeps its key." }),
        days: Type.Integer({ minimum: 1, maximum: 3650, default: 365, description: 'Validity in days (at most the CA validity).' }),
      },
      { additionalProperties: false },
    ),
    status: 201,
    responseSchema: Type.Object({ certificate: CertificateSchema, certificatePem: Type.String({ description: 'The certificate and the CAs between it and the root, PEM.' }) }, { additionalProperties: false }),
    errors: ['admin.ca_issuing_off', 'admin.invalid_request', 'admin.not_found'],
    async handler({ body, principal, services }) {
      const ca = await openCa(services, principal);
      const consumer = await requireService(services.consumers, 'consumers').get(body.consumerId);
      const now = services.clock.now();
      const issued = await ca.issue({ consumerId: consumer.id, csrPem: body.csr, days: body.days, now }).catch(caProblem);
      return { certificate: view(issued.record, now), certificatePem: issued.certificatePem };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/ca/crl',
    summary:
      "Sign a fresh CRL of every revoked certificate, valid for the CA's crlDays (what `portcullis ca crl` does on the CA host), which this node's listeners load at once: only when this gateway holds the CA key (pki.issuing); audited",
    permission: 'certificates:revoke',
    bodySchema: Empty,
    status: 200,
    responseSchema: Type.Object({ crl: CrlStateSchema }, { additionalProperties: false }),
    errors: ['admin.ca_issuing_off'],
    async handler({ principal, services }) {
      const ca = await openCa(services, principal);
      const now = services.clock.now();
      await ca.writeCrl(now);
      // A listener that refused certificates for a stale CRL (fail-closed) accepts them again now.
      await certificatesOf(services).crlChanged();
      const { crl } = await readCaState(caDirOf(services), repositoryOf(services), now);
      return { crl: crl! };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/certificates/:serial/revoke',
    summary: "Revoke a certificate the private CA issued and sign a new CRL, which this node's listeners load at once: only when this gateway holds the CA key (pki.issuing); step-up; audited",
    permission: 'certificates:revoke',
    stepUp: true,
    bodySchema: Empty,
    status: 200,
    responseSchema: Type.Object({ certificate: CertificateSchema }, { additionalProperties: false }),
    errors: ['admin.ca_issuing_off', 'admin.not_found'],
    async handler({ params, principal, services }) {
      const ca = await openCa(services, principal);
      const now = services.clock.now();
      const record = await ca.revoke(params.serial!, now).catch(caProblem);
      // The data plane refuses the certificate as soon as its listeners hold the new CRL.
      await certificatesOf(services).crlChanged();
      return { certificate: view(record, now) };
    },
  }),
];

/** Whether `record` comes after the page key `after` in listIssuedCertificates' order. */
function comesAfter(record: IssuedRecord, after: string): boolean {
  const [time, serial] = after.split('_') as [string, string | undefined];
  const notBefore = Date.parse(record.notBefore);
  return notBefore > Number(time) || (notBefore === Number(time) && record.serial > (serial ?? ''));
}
