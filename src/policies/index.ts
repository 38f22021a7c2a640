/** Every policy the gateway knows. Adding one: its folder, an entry here and one in order.ts. */
import type { PolicyDefinition } from '../core/policy.js';
import { authApiKey } from './auth-apikey/index.js';
import { authJwt } from './auth-jwt/index.js';
import { authMtls } from './auth-mtls/index.js';
import { authorize } from './authorize/index.js';
import { cors } from './cors/index.js';
import { geo } from './geo/index.js';
import { ipRules } from './ip-rules/index.js';
import { POLICY_ORDER, type PolicyName } from './order.js';
import { rateLimit } from './ratelimit/index.js';
import { requestSizeLimit } from './request-size-limit/index.js';
import { securityHeaders } from './security-headers/index.js';
import { validate } from './validate/index.js';
import { sanitize } from './sanitize/index.js';

export interface RegisteredPolicy {
  readonly definition: PolicyDefinition;
  readonly order: number;
}

const definitions = [ipRules, geo, requestSizeLimit, cors, authMtls, authApiKey, authJwt, authorize, rateLimit, validate, sanitize, securityHeaders] as unknown as Array<PolicyDefinition & { name: PolicyName }>;

export const POLICIES: readonly RegisteredPolicy[] = definitions.map((definition) => ({
  definition,
  order: POLICY_ORDER[definition.name],
}));

export function findPolicy(name: string): RegisteredPolicy | undefined {
  return POLICIES.find((policy) => policy.definition.name === name);
}
