/**
 * The one table that orders policies within a phase: cheap rejections first, authentication,
 * authorization, limits, transforms; within the respond phase, header writers before removers.
 * Every policy has exactly one entry and every entry one policy: the registry (index.ts) does not
 * compile otherwise, and registry.test.ts checks the numbers are finite and distinct.
 *
 * sanitize (580) runs before validate (600) on purpose: the contract is checked against the body
 * the upstream will receive, after sanitization rewrote it.
 */
export const POLICY_ORDER = {
  'ip-rules': 50,
  geo: 60,
  'request-size-limit': 100,
  cors: 200,
  'auth-mtls': 280,
  'auth-apikey': 300,
  'auth-jwt': 320,
  authorize: 400,
  ratelimit: 500,
  validate: 600,
  sanitize: 580,
  // Request bodies: after validate (a transform runs after every validation), so the body is cut
  // from what was checked. Responses: after response validation (600), which checks the upstream's
  // own body, and before the header writers.
  fields: 700,
  // After fields (700): the credential goes onto the request as it will be sent.
  'upstream-auth': 750,
  'security-headers': 900,
} as const satisfies Record<string, number>;

export type PolicyName = keyof typeof POLICY_ORDER;
