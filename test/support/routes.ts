// The in-process app's route table (every @koa/router layer: method and path), for tests that
// try every route. Bull Board is mounted outside the routers and is not in it.
import type { Router } from '@koa/router';
import type { Harness } from './harness.js';

export interface Route {
  method: string;
  /** The layer's path, with `:params` as written. */
  path: string;
  /** The layer's own middleware chain (the first step of an admin route is its guard). */
  stack: { name: string }[];
}

export function routeTable(h: Harness): Route[] {
  const routes: Route[] = [];
  for (const middleware of h.api.app.middleware) {
    const router = (middleware as { router?: Router }).router;
    for (const layer of router?.stack ?? []) {
      if (typeof layer.path !== 'string') continue;
      for (const method of layer.methods.filter((m) => m !== 'HEAD'))
        routes.push({ method, path: layer.path, stack: layer.stack });
    }
  }
  return routes;
}
