/**
 * The config of egress control and of upstream error normalisation (issue 20): the top-level
 * `egress` section (mode, destinations beyond those the config already names) and the
 * per-upstream `egress` and `errors` options. Merged into config/schema.ts; what each means is in
 * docs/outbound.md and docs/configuration.md.
 */
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../core/string-enum.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const Cidrs = (description: string) => Type.Array(Type.String({ description: 'An IP address or CIDR range.' }), { default: [], description });

const EgressAllow = Type.Object(
  {
    host: Type.String({ pattern: '^((\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.?|\\[?[0-9A-Fa-f:.]+\\]?)$', description: 'A host name (exact), `*.example.com` (every name under example.com, not example.com itself) or an IP literal.' }),
    schemes: Type.Array(StringEnum(['https', 'http'], { description: 'https or http.' }), { minItems: 1, uniqueItems: true, default: ['https'], description: 'Schemes allowed to this host; http only when listed.' }),
    ports: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, uniqueItems: true, description: 'Ports allowed (default: the default port of each listed scheme, 443 and/or 80).' })),
    addresses: Cidrs('Addresses in blocked ranges (loopback, private, link-local, …) this host may resolve to; by default it may reach public addresses only.'),
  },
  { additionalProperties: false, description: 'A destination the gateway may connect to besides those the config names.' },
);

export const EgressSection = Type.Object(
  {
    mode: StringEnum(['enforce', 'report'], {
      default: 'enforce',
      description: 'enforce: an outbound connection to a destination not declared, or to a blocked address, is refused (502 upstream.egress_denied on a route); report: it is made, and logged (egress.would_deny) and counted.',
    }),
    allow: Type.Array(EgressAllow, { default: [], description: 'Destinations beyond those the config names (upstream targets, issuers, CRL URLs, …), e.g. a token endpoint or an alert sink.' }),
  },
  { additionalProperties: false, default: {}, description: 'Egress control: which servers the gateway may connect to (docs/outbound.md).' },
);

export const UpstreamEgress = Type.Object(
  {
    allowHttp: Type.Boolean({ default: false, description: 'Allow http:// targets on a host that is not local (an IP literal in a blocked range or localhost is allowed without it).' }),
    allowAddresses: Cidrs("Addresses in blocked ranges this upstream's target names may resolve to (e.g. 10.0.0.0/8 for a service on the private network)."),
    methods: Type.Optional(Type.Array(StringEnum(METHODS, { description: 'An HTTP method.' }), { minItems: 1, uniqueItems: true, description: 'Only these methods are sent to the upstream (default: any).' })),
    pathPrefixes: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { minItems: 1, description: 'Only paths (target base path included) starting with one of these are sent to the upstream (default: any).' })),
  },
  { additionalProperties: false, description: 'Egress rules of this upstream (docs/outbound.md).' },
);

export const UpstreamErrors = Type.Object(
  {
    mode: StringEnum(['pass', 'normalize'], {
      default: 'pass',
      description: "pass: the upstream's error responses go to the client as they are; normalize: a 4xx or 5xx becomes an RFC 9457 problem with an upstream.* code (docs/errors.md).",
    }),
    codePointer: Type.Optional(Type.String({ pattern: '^(/[^/]*)+$', description: "JSON Pointer (RFC 6901) to the upstream's own error code in its JSON error body, e.g. /error/code." })),
    safeCodes: Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }), { default: [], description: "The upstream's error codes known to be safe to show clients: one of these found at codePointer goes into the problem as `upstreamCode`." }),
  },
  { additionalProperties: false, description: "What clients get when the upstream answers with an error (docs/errors.md, 'Upstream errors')." },
);
