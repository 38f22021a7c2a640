/**
 * A route's lifecycle in its pipeline (issue 24 §3, docs/inventory.md#lifecycle): every response
 * of a deprecated or sunset route says so (`Deprecation`, `Sunset`, `Link`: http/lifecycle-headers.ts),
 * and from the sunset on the route answers `410 route.sunset` instead of calling the upstream.
 *
 * The 410 is decided in the authorize phase, after authentication: a caller of a retired route is
 * then known by its consumer, so `portcullis inventory --deprecated --by-consumer` can name who
 * still calls it (route traffic is counted by consumer, store/route-traffic.ts), and an
 * anonymous caller learns nothing more than a 401 would tell it.
 */
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { PolicyInstance } from '../core/pipeline.js';
import type { RouteConfig } from '../config/schema.js';
import { lifecycleHeaders, parseLifecycleDate, type RouteLifecycle } from '../http/lifecycle-headers.js';

/** Just before the authorize policy (order 400 in policies/order.ts). */
const SUNSET_ORDER = 390;

/** The lifecycle of a route, or undefined when it has neither `deprecated` nor `sunset`. */
export function routeLifecycle(route: Pick<RouteConfig, 'deprecated' | 'sunset' | 'successor' | 'deprecationLink'>): RouteLifecycle | undefined {
  if (route.deprecated === undefined && route.sunset === undefined) return undefined;
  return {
    deprecatedAt: route.deprecated === undefined ? undefined : parseLifecycleDate(route.deprecated),
    sunsetAt: route.sunset === undefined ? undefined : parseLifecycleDate(route.sunset),
    successor: route.successor,
    deprecationLink: route.deprecationLink,
  };
}

/** The pipeline instance of a route with a lifecycle; headers computed once, the sunset checked per request on `clock`. */
export function lifecycleInstance(lifecycle: RouteLifecycle, clock: Clock): PolicyInstance {
  const headers = Object.entries(lifecycleHeaders(lifecycle));
  const sunsetAt = lifecycle.sunsetAt;
  const successor = lifecycle.successor;
  return {
    name: 'route-lifecycle',
    order: SUNSET_ORDER,
    handlers: {
      authorize:
        sunsetAt === undefined
          ? undefined
          : function refuseAfterSunset() {
              if (clock.now() < sunsetAt) return;
              throw new GatewayError('route.sunset', {
                detail: successor ? `This API was retired on ${new Date(sunsetAt).toUTCString()}; use ${successor}.` : `This API was retired on ${new Date(sunsetAt).toUTCString()}.`,
              });
            },
      respond: function announceLifecycle(ctx) {
        const response = ctx.response!.headers;
        for (const [name, value] of headers) {
          if (name !== 'link') response[name] = value;
          else {
            // The upstream's own links stay: RFC 8288 §3 allows several Link values.
            const own = response.link;
            response.link = own === undefined ? value : [...(Array.isArray(own) ? own : [own]), ...(value as string[])];
          }
        }
      },
    },
  };
}
