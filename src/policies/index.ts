/**
 * Every policy the gateway knows: the one module allowed to import them all. Adding one: its
 * folder, an entry in POLICY_DEFINITIONS and one in order.ts (the compiler insists on both).
 */
import type { TObject } from '@sinclair/typebox';
import type { PolicyDefinition } from '../core/policy.js';
import { authApiKey } from './auth-apikey/index.js';
import { authJwt } from './auth-jwt/index.js';
import { authMtls } from './auth-mtls/index.js';
import { authorize } from './authorize/index.js';
import { cors } from './cors/index.js';
import { fields } from './fields/index.js';
import { geo } from './geo/index.js';
import { ipRules } from './ip-rules/index.js';
import { POLICY_ORDER, type PolicyName } from './order.js';
import { rateLimit } from './ratelimit/index.js';
import { requestSizeLimit } from './request-size-limit/index.js';
import { securityHeaders } from './security-headers/index.js';
import { validate } from './validate/index.js';
import { sanitize } from './sanitize/index.js';
import { upstreamAuth } from './upstream-auth/index.js';

export type { PolicyName };

/**
 * The registry's shape: one definition per order-table key, each named by its key. A policy
 * missing from the table, a key without a policy, a key given twice (TS1117) or a definition
 * under another policy's name is a compile error, not an `order: undefined` at run time.
 */
export type PolicyRegistry = { readonly [N in PolicyName]: PolicyDefinition<TObject, N> };

export interface RegisteredPolicy {
  readonly definition: PolicyDefinition;
  readonly order: number;
}

export const POLICY_DEFINITIONS: PolicyRegistry = {
  'ip-rules': ipRules,
  geo,
  'request-size-limit': requestSizeLimit,
  cors,
  'auth-mtls': authMtls,
  'auth-apikey': authApiKey,
  'auth-jwt': authJwt,
  authorize,
  ratelimit: rateLimit,
  validate,
  sanitize,
  fields,
  'upstream-auth': upstreamAuth,
  'security-headers': securityHeaders,
};

export const POLICIES: readonly RegisteredPolicy[] = (Object.keys(POLICY_DEFINITIONS) as PolicyName[]).map((name) => ({
  definition: POLICY_DEFINITIONS[name],
  order: POLICY_ORDER[name],
}));

export function findPolicy(name: string): RegisteredPolicy | undefined {
  return POLICIES.find((policy) => policy.definition.name === name);
}
