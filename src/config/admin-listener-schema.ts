/**
 * The admin listener's network keys (issue 18 §5), merged into the admin object of schema.ts:
 * `allowlist`, the client addresses it answers at all. `admin.tls` (HTTPS, client certificates)
 * is the client listeners' `tls` object, declared in listener-schema.ts.
 */
import { Type } from '@sinclair/typebox';

export const ADMIN_LISTENER_PROPERTIES = {
  allowlist: Type.Array(Type.String({ description: 'An IP address or CIDR (10.0.0.0/8, 2001:db8::/32).' }), {
    default: [],
    description:
      'Client addresses the admin listener answers (/healthz, /readyz, /metrics and the admin API); any other gets 403 network.ip_blocked before authentication. Empty: every address that can reach it. The client address is the connection peer, or X-Forwarded-For when the peer is one of trustedProxies (as on the data plane).',
  }),
  console: Type.Object(
    {
      enabled: Type.Boolean({ default: true, description: 'Serve the browser admin console at /console/ on the admin listener (docs/console.md); it signs in admin users and talks only to the admin API.' }),
    },
    { additionalProperties: false, default: {}, description: 'The browser admin console.' },
  ),
};
