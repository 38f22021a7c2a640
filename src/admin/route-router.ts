/** The router over an admin route table: what the dispatcher and `rbac explain` match requests with. */
import { compilePathTemplate } from '../http/path-template.js';
import { Router } from '../http/router.js';
import type { AdminRoute } from './route.js';

export function routeRouter(routes: readonly AdminRoute[]): Router<AdminRoute> {
  return new Router(
    routes.map((route) => {
      const template = compilePathTemplate(route.path);
      if (!template.ok) throw new Error(`admin route ${route.method} ${route.path}: ${template.message}`);
      return { route, methods: [route.method], segments: template.segments, host: undefined };
    }),
  );
}
