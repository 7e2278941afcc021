// Admin plans (web envelope): GET /admin/plan/view and POST /admin/plan/update {data: plans[]},
// which replaces every plan and takes effect in every process without a restart.
import { Router } from '@koa/router';
import type { ApiContext } from '../context.js';

export function adminPlanRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/plan' });

  router.get('/view', (ctx) => {
    ctx.body = { status: true, data: context.plans.get() };
  });

  router.post('/update', async (ctx) => {
    const body = (ctx.request.body ?? {}) as { data?: unknown };
    const plans = await context.plans.update(context.redis, context.keys.invalidateChannel, body.data);
    ctx.body = { status: true, data: plans };
  });

  return router;
}
