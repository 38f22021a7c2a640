/**
 * The fields policy's config: per direction (the response a partner receives, the request body
 * sent upstream to a third party) an allowlist or denylist of paths, operators per path, and
 * detectors for values in any field.
 */
import { Type } from '@sinclair/typebox';
import { policyConfig } from '../../core/policy.js';
import { DETECTOR_NAMES, type DetectorName } from '../../detect/detectors.js';
import { POINTER_PATTERN } from './field-paths.js';
import type { HashKey } from './operators.js';

const Enum = <T extends string>(values: readonly T[], description: string, fallback?: T) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(fallback === undefined ? {} : { default: fallback }), description });

const Pointer = Type.String({ pattern: POINTER_PATTERN, description: 'A JSON Pointer (RFC 6901); `*` matches any array element or object member, e.g. /data/*/iban.' });

const operatorProperties = {
  keepLast: Type.Integer({ minimum: 0, maximum: 64, default: 4, description: 'mask: characters kept at the end (a value no longer than this is masked whole).' }),
  with: Type.String({ maxLength: 1024, default: '[REDACTED]', description: 'replace: the text that takes the value\'s place.' }),
};

const Redaction = Type.Object(
  {
    path: Pointer,
    action: Enum(['remove', 'mask', 'hash', 'replace'] as const, 'remove: the member or element goes; mask: all but the last keepLast characters become *; hash: keyed HMAC-SHA256 (hashKey), base64url; replace: the `with` text. Under an object or array, mask, hash and replace apply to every string and number beneath.'),
    ...operatorProperties,
  },
  { additionalProperties: false },
);

const Detect = Type.Object(
  {
    detectors: Type.Array(Enum(DETECTOR_NAMES, 'A built-in detector.'), { minItems: 1, default: [...DETECTOR_NAMES], description: `Which detectors run over every string (and number) kept: ${DETECTOR_NAMES.join(', ')}.` }),
    action: Enum(['mask', 'hash', 'replace'] as const, 'What a detected value becomes.', 'mask'),
    ...operatorProperties,
  },
  { additionalProperties: false, description: 'Detected values (payment cards, IBANs, e-mail addresses, phone numbers, national identifiers, API keys, JWTs) rewritten wherever they appear.' },
);

const Direction = (what: string) =>
  Type.Object(
    {
      mode: Type.Optional(Enum(['allow', 'deny'] as const, 'allow: only the listed paths (and everything under them) are kept; deny: the listed paths are removed.')),
      paths: Type.Array(Pointer, { default: [], maxItems: 1000, description: 'The paths the mode applies to.' }),
      redact: Type.Array(Redaction, { default: [], maxItems: 1000, description: 'Operators per path, applied to what the mode keeps.' }),
      detect: Type.Optional(Detect),
      otherMediaTypes: Enum(['reject', 'pass'] as const, 'A body that is not JSON: reject (so the rules cannot be bypassed by another media type) or pass unchanged.', 'reject'),
    },
    { additionalProperties: false, description: what },
  );

export const fieldsConfigSchema = policyConfig(
  {
    response: Type.Optional(Direction('Rules for the upstream response a client receives (JSON bodies, decoded from gzip, deflate or br).')),
    request: Type.Optional(Direction('Rules for the JSON request body sent upstream, applied after validation (transform phase).')),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest response body filtered, in decoded bytes: a larger one is refused (502 upstream.response_too_large), never sent unfiltered.' }),
    maxDepth: Type.Integer({ minimum: 1, maximum: 256, default: 64, description: 'Deepest nesting filtered: a deeper body is refused (502 upstream.response_not_json, or 400 for a request).' }),
    hashKey: Type.Optional(Type.Unsafe<HashKey>(Type.String({ secret: true, description: 'The HMAC key of the hash operator, by reference (${env:NAME}); at least 32 characters.' }))),
  },
  'Field allowlists, denylists, redaction and detectors for response bodies and request bodies sent upstream.',
);

export type FieldsConfig = (typeof fieldsConfigSchema)['static'];
export type DirectionConfig = NonNullable<FieldsConfig['response']>;
export type { DetectorName };
