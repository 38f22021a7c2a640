/**
 * upstream-auth: the gateway, not the calling service, authenticates to the third party (issue 19
 * §4). In the transform phase it asks the credential service for what to send for the route's
 * credential (a static secret, or an OAuth access token it obtains and refreshes itself) and sets
 * it on the upstream request, replacing anything the client sent under that header. No token past
 * its expiry is ever sent: without one the request ends with 503 upstream.credential_unavailable.
 *
 * On the upstream's answer (UPSTREAM_AUTH_HOOK, asked by the proxy) it reports the status (401/403
 * streaks quarantine the credential) and, on a first 401 to an idempotent request it can repeat,
 * forces one refresh and has the request sent once more with the new token (RFC 6750 §3.1: the
 * token may have been revoked or expired early at the provider).
 */
import { Type } from '@sinclair/typebox';
import { definePolicy, policyConfig } from '../../core/policy.js';
import { UPSTREAM_AUTH_HOOK } from '../../core/upstream-credentials.js';

const configSchema = policyConfig(
  {
    credential: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Name of the upstream credential to inject (`portcullis credentials create`).' }),
    retryOnUnauthorized: Type.Boolean({
      default: true,
      description: 'On a 401 from the upstream, refresh the token once and send an idempotent request again.',
    }),
  },
  'Injects an upstream credential (static secret or an OAuth token the gateway keeps fresh) into requests to the upstream.',
);

export const upstreamAuth = definePolicy({
  name: 'upstream-auth',
  description: 'Authenticates to the upstream with a credential the gateway holds (static, OAuth client credentials, refresh token).',
  enabledByDefault: false,
  requires: ['upstreamCredentials'],
  configSchema,
  create(config, deps) {
    const credentials = deps.services.upstreamCredentials;
    const name = config.credential;
    return {
      transform: async function injectUpstreamCredential(ctx) {
        let injected = await credentials.inject(name);
        ctx.upstreamHeaders[injected.header] = injected.value;
        let retried = false;
        ctx.state.set(UPSTREAM_AUTH_HOOK, {
          async onUpstreamStatus(status, retryable) {
            credentials.reportStatus(name, status);
            if (status !== 401 || retried || !retryable || !config.retryOnUnauthorized) return false;
            retried = true;
            try {
              const fresh = await credentials.inject(name, { forceAfterVersion: injected.version });
              if (fresh.version === injected.version) return false;
              injected = fresh;
              ctx.upstreamHeaders[fresh.header] = fresh.value;
              deps.logger.info({ event: 'credentials.forced_refresh', credential: name, requestId: ctx.requestId, tokenVersion: fresh.version }, 'upstream answered 401: retrying once with a fresh token');
              return true;
            } catch {
              // No newer token (the credential was revoked by that refresh, say): the 401 stands,
              // and the service has logged why.
              return false;
            }
          },
        });
      },
    };
  },
});
