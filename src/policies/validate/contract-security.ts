/**
 * `validate.security: enforce` (issue 24 §4): the contract's `security` decides, per operation,
 * which credentials a request needs and with which scopes. The authentication policies on the
 * route run with `required: false` (config validate insists): each verifies the credential it
 * finds and refuses an invalid one; none refuses a request for lacking one. This check runs in
 * the authorize phase, once the request is matched to its operation, and reads every principal
 * they established (core/auth-composition.ts). The semantics of `security` (OR of alternatives,
 * AND within one, `{}`, `security: []`) are in openapi/security-requirements.ts.
 *
 * Refusals use the authentication policies' codes: 401 auth.missing_credentials with a Bearer
 * challenge (RFC 6750 §3: no error code when no credential was sent), or 401
 * auth.client_cert_required when only a client certificate would do; 403 auth.insufficient_scope
 * with `error="insufficient_scope"` and the scopes the alternative needs (RFC 6750 §3.1).
 */
import { authenticatedPrincipals } from '../../core/auth-composition.js';
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { CompiledContract, CompiledOperation } from '../../openapi/contract.js';
import { decideSecurity, operationSecurity, type OperationSecurity } from '../../openapi/security-requirements.js';

/** Each operation's security, read once at load. */
export function compileContractSecurity(contract: CompiledContract): ReadonlyMap<CompiledOperation, OperationSecurity> {
  return new Map(contract.operations.map((operation) => [operation, operationSecurity(contract.document, operation.operation)]));
}

/** Throws the refusal when the request's verified credentials do not meet the operation's security. */
export function enforceOperationSecurity(ctx: RequestContext, security: OperationSecurity): void {
  const decision = decideSecurity(security, authenticatedPrincipals(ctx));
  if (decision.outcome === 'met') return;
  ctx.logFields.contractSecurity = decision.outcome;
  if (decision.outcome === 'insufficient_scope') {
    const required = [...new Set(decision.alternative.flatMap((scheme) => scheme.scopes))];
    throw new GatewayError('auth.insufficient_scope', {
      detail: `This operation needs the scope${decision.missing.length > 1 ? 's' : ''} ${decision.missing.join(', ')}.`,
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"` },
    });
  }
  const ways = security.alternatives.map((alternative) => alternative.map((scheme) => scheme.scheme).join(' and '));
  const detail = `This operation needs credentials: ${ways.join(', or ')}.`;
  const bearer = security.alternatives.some((alternative) => alternative.some((scheme) => scheme.accepts.some((kind) => kind !== 'client_certificate')));
  if (!bearer) throw new GatewayError('auth.client_cert_required', { detail });
  throw new GatewayError('auth.missing_credentials', { detail, headers: { 'www-authenticate': 'Bearer' } });
}
