/** Builds single sign-on (SsoService) for the admin plane, with its metrics: the gateway's composition seam. */
import type { AdminOidcConfig } from '../../config/admin-sso-schema.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { Outbound } from '../../outbound/index.js';
import type { AdminPlane } from '../admin-plane.js';
import type { AdminAuth } from '../sessions/admin-auth.js';
import { SsoService } from './sso-service.js';

export type { SsoService } from './sso-service.js';

export function openSso(plane: AdminPlane, auth: AdminAuth, config: () => AdminOidcConfig | undefined, deps: { clock: Clock; logger: () => Logger; outbound: Outbound; metrics: GatewayMetrics }): SsoService {
  const { metrics } = deps;
  return new SsoService({
    plane,
    auth,
    config,
    clock: deps.clock,
    logger: deps.logger,
    outbound: deps.outbound,
    count: (outcome) => metrics.adminSsoLogins.inc({ outcome }),
    keyMetrics: {
      fetched: (issuer, outcome) => metrics.jwksFetches.inc({ issuer, outcome }),
      staleKeysUsed: (issuer) => metrics.staleKeysUsed.inc({ issuer }),
    },
  });
}
