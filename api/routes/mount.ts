// Mounts the route groups on the app. Every route under /admin gets the admin guard as the
// first step of its own middleware chain, so whatever the router matches (any spelling of
// the path) is guarded by the same decision; unknown /admin paths are guarded too. A wrong
// method is a JSON 405 like any other error.
import type { Router } from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import { isUnder } from '../middleware/canonical-path.js';

export const ADMIN_PREFIX = '/admin';

/** Prepends `guard` to every layer of `router` whose path is under /admin. */
export function guardAdminLayers(router: Router, guard: Middleware): void {
  for (const layer of router.stack) {
    if (typeof layer.path === 'string' && isUnder(layer.path, ADMIN_PREFIX) && layer.stack[0] !== guard)
      layer.stack.unshift(guard as (typeof layer.stack)[number]);
  }
}

/** A route that exists under another method: 405 (501 for unknown methods) as a JSON error, with `Allow`. */
function allowedMethods(router: Router): Middleware {
  const allowed = router.allowedMethods() as Middleware;
  return async function allowedMethodsMiddleware(ctx, next) {
    await allowed(ctx, next);
    if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
      throw new GatewayError(`${ctx.method} is not allowed on ${ctx.path}.`, {
        status: 405,
        type: 'invalid_request_error',
        code: 'method_not_allowed',
      });
    }
  };
}

export function mountRouters(app: Koa, routers: Router[], adminGuard: Middleware): void {
  for (const router of routers) {
    guardAdminLayers(router, adminGuard);
    app.use(router.routes());
    app.use(allowedMethods(router));
  }
  // No route matched: an /admin path still answers 401/403 to non-admins, never "not found".
  app.use(async function unknownAdminPath(ctx, next) {
    if (isUnder(ctx.path, ADMIN_PREFIX) && ctx.body === undefined) return adminGuard(ctx, next);
    return next();
  });
}
