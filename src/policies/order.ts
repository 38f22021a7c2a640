/**
 * The one table that orders policies within a phase: cheap rejections first, authentication,
 * authorization, limits, transforms; within the respond phase, header writers before removers.
 * A policy without an entry here cannot be registered (index.ts checks it at type level).
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
  'security-headers': 900,
} as const;

export type PolicyName = keyof typeof POLICY_ORDER;
