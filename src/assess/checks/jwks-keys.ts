/**
 * The provider's JWK Set judged key by key (issue 23 §3): no symmetric keys (RFC 7517 §6.4: a
 * public set must not hold secrets), RSA of 2048 bits or more (RFC 7518 §3.3), EC keys on P-256,
 * P-384 or P-521 (RFC 7518 §6.2.1.1), OKP keys on Ed25519/Ed448/X25519/X448 (RFC 8037). The set is
 * checked by jose and each key is read by Node's own JWK import: no JWK parsing of ours.
 */
import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWK } from 'jose';
import type { AssessFinding } from '../finding.js';
import { found } from './found.js';
import { describeFailure, type AssessHttp } from './http-probe.js';
import { OAUTH_RULES as RULES } from './oauth-rules.js';

const MIN_RSA_BITS = 2048;
const JOSE_EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const JOSE_OKP_CURVES = new Set(['Ed25519', 'Ed448', 'X25519', 'X448']);

/** Findings of the JWK Set at `jwksUri` (fetched with `http`); none when every key is sound. */
export async function assessJwks(http: AssessHttp, jwksUri: string): Promise<AssessFinding[]> {
  let set: JSONWebKeySet;
  try {
    const reply = await http.get(jwksUri, { accept: 'application/jwk-set+json, application/json' });
    if (reply.status !== 200) return [found(RULES.jwksUnusable, `the JWK Set answered HTTP ${reply.status}`, jwksUri)];
    set = JSON.parse(reply.body) as JSONWebKeySet;
    // jose's check of the set's shape (an object with a `keys` array of objects).
    createLocalJWKSet(set);
  } catch (error) {
    return [found(RULES.jwksUnusable, `the JWK Set could not be read: ${describeFailure(error)}`, jwksUri)];
  }
  return set.keys.flatMap((key, index) => judgeKey(key, `${jwksUri} keys[${index}]${typeof key.kid === 'string' ? ` (kid ${key.kid})` : ''}`));
}

function judgeKey(key: JWK, where: string): AssessFinding[] {
  switch (key.kty) {
    case 'oct':
      return [found(RULES.symmetricKey, 'the JWK Set holds a symmetric (kty oct) key', where)];
    case 'EC':
      if (!JOSE_EC_CURVES.has(String(key.crv))) return [found(RULES.weakCurve, `an EC key on curve ${String(key.crv)}`, where)];
      return readable(key, where);
    case 'OKP':
      if (!JOSE_OKP_CURVES.has(String(key.crv))) return [found(RULES.weakCurve, `an OKP key on curve ${String(key.crv)}`, where)];
      return readable(key, where);
    case 'RSA': {
      const details = publicKeyDetails(key);
      if (typeof details === 'string') return [found(RULES.jwksUnusable, `the RSA key cannot be read: ${details}`, where)];
      const bits = details.modulusLength ?? 0;
      return bits < MIN_RSA_BITS ? [found(RULES.weakRsaKey, `an RSA key of ${bits} bits`, where)] : [];
    }
    default:
      return [found(RULES.jwksUnusable, `a key of unknown type ${String(key.kty)}`, where)];
  }
}

function readable(key: JWK, where: string): AssessFinding[] {
  const details = publicKeyDetails(key);
  return typeof details === 'string' ? [found(RULES.jwksUnusable, `the ${String(key.kty)} key cannot be read: ${details}`, where)] : [];
}

/** Node's reading of a public JWK: its details, or why it cannot be read. */
function publicKeyDetails(key: JWK): NonNullable<ReturnType<typeof createPublicKey>['asymmetricKeyDetails']> | string {
  try {
    return createPublicKey({ key: key as never, format: 'jwk' }).asymmetricKeyDetails ?? {};
  } catch (error) {
    return describeFailure(error);
  }
}
