/**
 * JWT attacks (RFC 8725, JWT Best Current Practices) against the first route with auth-jwt, with
 * the attacker's key server of attacker-server.ts: `alg: none`; HS256 signed with the issuer's
 * RSA public key as the HMAC secret (key confusion); `kid` injection (path traversal, SQL);
 * `jku`, `x5u` and an embedded `jwk` naming the attacker's key (the server must see no fetch);
 * a token signed by a key the issuer never published; a token past the policy's size limit. With
 * a signing key the gateway trusts (`--jwt-signing-jwk`, a staging issuer's private JWK), also
 * claims: expired, not yet valid, another audience, a claim named twice. Tokens are made with
 * jose; only the attacks that are malformed JSON or carry no signature are assembled by hand.
 */
import { CompactSign, exportSPKI, importJWK, SignJWT, type JWTPayload } from 'jose';
import { effectivePolicy } from '../../../config/policy-usage.js';
import { OWASP } from '../../preflight/check.js';
import { ATTACKER_KID, startAttackerKeyServer, type AttackerKeyServer } from '../attacker-server.js';
import { describeAnswer, type Answer } from '../client.js';
import { defineProbes, fail, skip, verdict, type ProbeContext, type ProbeResult, type ProbeRule } from '../probe.js';
import { routeHeaders, routeWhere, type ProbeRoute } from '../routes.js';
import { judgeRefusal } from './auth.js';
import { issuerPublicKeys, type JwtPolicyView } from './jwt-keys.js';

const b64 = (json: string) => Buffer.from(json).toString('base64url');

export const jwtProbes = defineProbes(
  'jwt',
  {
    algNone: { id: 'ST-JWT-001', severity: 'critical', title: 'A token with alg "none" and no signature', expected: '401', why: OWASP.API2 },
    keyConfusion: { id: 'ST-JWT-002', severity: 'critical', title: "HS256 signed with the issuer's RSA public key as the HMAC secret (key confusion)", expected: '401', why: OWASP.API2 },
    kidInjection: { id: 'ST-JWT-003', severity: 'critical', title: 'kid injection: a path traversal to /dev/null, and SQL', expected: '401', why: OWASP.API2 },
    jku: { id: 'ST-JWT-004', severity: 'critical', title: "jku naming the attacker's JWKS, signed with the attacker's key", expected: '401, and no request reaches the attacker server', why: OWASP.API7 },
    x5u: { id: 'ST-JWT-005', severity: 'critical', title: "x5u naming the attacker's key, signed with it", expected: '401, and no request reaches the attacker server', why: OWASP.API7 },
    embeddedJwk: { id: 'ST-JWT-006', severity: 'critical', title: "The attacker's public key embedded in the header (jwk), signed with it", expected: '401', why: OWASP.API2 },
    unknownKey: { id: 'ST-JWT-007', severity: 'critical', title: 'A token signed by a key the issuer never published', expected: '401', why: OWASP.API2 },
    oversized: { id: 'ST-JWT-008', severity: 'medium', title: "A token past the policy's maxTokenBytes", expected: '401 auth.token_too_large (or 431 past the header limit)', why: OWASP.API4 },
    expired: { id: 'ST-JWT-009', severity: 'critical', title: 'A validly signed token expired an hour ago', expected: '401 auth.token_expired', why: OWASP.API2 },
    notYetValid: { id: 'ST-JWT-010', severity: 'high', title: 'A validly signed token valid only from an hour from now (nbf)', expected: '401 auth.token_not_yet_valid', why: OWASP.API2 },
    audience: { id: 'ST-JWT-011', severity: 'critical', title: 'A validly signed token for another audience', expected: '401 auth.token_audience_invalid', why: OWASP.API2 },
    duplicateClaims: { id: 'ST-JWT-012', severity: 'high', title: 'A validly signed token naming a claim twice (an expired exp first, a valid one last)', expected: '401 auth.token_invalid', why: OWASP.API2 },
  },
  async (context, rules) => {
    const all = Object.values(rules) as ProbeRule[];
    const found = jwtRoute(context);
    if (found === undefined) {
      // Routes from the admin API's list say a JWT is required but not the issuer's keys and claims the probes forge against.
      const reason = context.config === undefined && context.routes.some((route) => route.jwt) ? "the issuer's keys and claims come from the config: give --config" : 'no route requires a JWT (auth-jwt)';
      return all.map((rule) => skip(rule, reason));
    }
    const { route, policy } = found;
    const attacker = await startAttackerKeyServer();
    try {
      return await attack(context, rules, route, policy, attacker);
    } finally {
      await attacker.close();
    }
  },
);

function jwtRoute({ config, routes }: ProbeContext): { route: ProbeRoute; policy: JwtPolicyView } | undefined {
  if (config === undefined) return undefined;
  for (const route of routes) {
    if (!route.jwt || route.authentication !== 'required' || route.public) continue;
    const routeConfig = config.routes.find((candidate) => candidate.name === route.name)!;
    return { route, policy: effectivePolicy(config, routeConfig, 'auth-jwt') as unknown as JwtPolicyView };
  }
  return undefined;
}

async function attack(context: ProbeContext, rules: Record<string, ProbeRule>, route: ProbeRoute, policy: JwtPolicyView, attacker: AttackerKeyServer): Promise<ProbeResult[]> {
  const { client } = context;
  const issuer = policy.issuers[0]!;
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { iss: issuer.issuer, aud: policy.audiences[0], sub: 'selftest', iat: now, exp: now + 300, ...(route.scopes.length > 0 ? { scope: route.scopes.join(' ') } : {}) };
  const typ = policy.typ === undefined ? {} : { typ: policy.typ };
  const send = (token: string): Promise<Answer> => client.send(route.method, route.path, { headers: routeHeaders(route, { authorization: `Bearer ${token}` }) });
  const results: ProbeResult[] = [];
  const where = (variant: string) => `${routeWhere(route)}: ${variant}`;
  const refusedBy = async (rule: ProbeRule, token: string, variant: string) => results.push(judgeRefusal(rule, await send(token), where(variant)));
  const attackerSigned = (header: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...typ, ...header }).sign(attacker.privateKey);

  // With a trusted key: the claim checks first, while the client is in good standing.
  const trusted = context.jwtSigningJwk === undefined ? undefined : await importJWK(context.jwtSigningJwk, context.jwtSigningJwk.alg);
  const claimRules = [rules.expired!, rules.notYetValid!, rules.audience!, rules.duplicateClaims!];
  if (trusted === undefined || context.jwtSigningJwk === undefined) {
    for (const rule of claimRules) results.push(skip(rule, 'needs a signing key the gateway trusts: --jwt-signing-jwk <file> (a staging issuer\'s private JWK)'));
  } else {
    const header = { alg: context.jwtSigningJwk.alg!, kid: context.jwtSigningJwk.kid, ...typ };
    const signed = (payload: JWTPayload) => new SignJWT(payload).setProtectedHeader(header).sign(trusted);
    const baseline = await send(await signed(claims));
    if (baseline.status === 401 || baseline.status === 403 || baseline.status === 429) {
      for (const rule of claimRules) results.push(skip(rule, `the gateway refuses a valid token signed with --jwt-signing-jwk (${describeAnswer(baseline)}): check its kid, alg and issuer`, where('valid token')));
    } else {
      results.push(judgeRefusal(rules.expired!, await send(await signed({ ...claims, iat: now - 7200, exp: now - 3600 })), where('exp an hour ago')));
      results.push(judgeRefusal(rules.notYetValid!, await send(await signed({ ...claims, nbf: now + 3600 })), where('nbf in an hour')));
      results.push(judgeRefusal(rules.audience!, await send(await signed({ ...claims, aud: 'https://selftest.invalid/another-api' })), where('aud of another API')));
      // Duplicate member names: a parser that keeps the last `exp` would accept it (RFC 7519 §4).
      const { exp: _exp, ...rest } = claims;
      const raw = `${JSON.stringify({ exp: now - 3600, ...rest }).slice(0, -1)},"exp":${now + 300}}`;
      const duplicate = await new CompactSign(new TextEncoder().encode(raw)).setProtectedHeader(header).sign(trusted);
      results.push(judgeRefusal(rules.duplicateClaims!, await send(duplicate), where('exp named twice')));
    }
  }

  await refusedBy(rules.algNone!, `${b64(JSON.stringify({ alg: 'none', typ: policy.typ ?? 'JWT' }))}.${b64(JSON.stringify(claims))}.`, 'alg none, empty signature');
  const publicKeys = await issuerPublicKeys(issuer, context.requestTimeoutMs);
  const rsa = publicKeys.find((jwk) => jwk.kty === 'RSA');
  if (rsa === undefined) {
    results.push(skip(rules.keyConfusion!, publicKeys.length === 0 ? "the issuer's public keys could not be read (static keys, jwksUrl or discoveryUrl)" : 'the issuer publishes no RSA key'));
  } else {
    const pem = await exportSPKI((await importJWK({ ...rsa, alg: 'RS256' }, 'RS256')) as Parameters<typeof exportSPKI>[0]);
    for (const [variant, secret] of [['the PEM', pem], ['the PEM without its final newline', pem.trimEnd()]] as const) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...typ, ...(rsa.kid ? { kid: rsa.kid } : {}) }).sign(new TextEncoder().encode(secret));
      await refusedBy(rules.keyConfusion!, token, `HS256 keyed with ${variant}`);
    }
  }
  const hmacWith = (secret: string, kid: string) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, ...typ }).sign(new TextEncoder().encode(secret.padEnd(32, '\0')));
  await refusedBy(rules.kidInjection!, await hmacWith('', '../../../../../../../../dev/null'), 'kid ../../dev/null, HS256 with an empty key');
  await refusedBy(rules.kidInjection!, await attackerSigned({ kid: `' UNION SELECT '${ATTACKER_KID}' --` }), "kid ' UNION SELECT … --");
  await refusedBy(rules.jku!, await attackerSigned({ kid: ATTACKER_KID, jku: `${attacker.url}/jwks.json` }), 'jku → attacker JWKS');
  await refusedBy(rules.x5u!, await attackerSigned({ kid: ATTACKER_KID, x5u: `${attacker.url}/x5u.pem` }), 'x5u → attacker key');
  await refusedBy(rules.embeddedJwk!, await attackerSigned({ kid: ATTACKER_KID, jwk: attacker.publicJwk }), 'jwk in the header');
  await refusedBy(rules.unknownKey!, await attackerSigned({ ...(rsa?.kid ? { kid: rsa.kid } : {}) }), "RS256 by the attacker's key, the issuer's kid");
  // The key URLs: whatever the answers, a fetch from the attacker's server is a failure of its own.
  for (const rule of [rules.jku!, rules.x5u!]) {
    const index = results.findIndex((result) => result.probeId === rule.id);
    const prior = results[index]!;
    if (attacker.fetched.length > 0) results[index] = fail(rule, `${prior.observed}; the attacker server was fetched: ${attacker.fetched.join(', ')}`, prior.where);
  }
  const limit = policy.maxTokenBytes ?? 8192;
  const padding = 'x'.repeat(Math.min(limit + 1024, 60000));
  const big = await attackerSigned({ kid: ATTACKER_KID, pad: padding });
  const answer = await send(big);
  results.push(verdict(rules.oversized!, answer.status === 431 || (answer.status === 401 && answer.code === 'auth.token_too_large'), describeAnswer(answer), where(`${big.length} bytes (maxTokenBytes ${limit})`)));
  return results;
}
