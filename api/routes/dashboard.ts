// OpenAI's legacy billing endpoints, as Chat Nio serves them for API-key dashboards:
// usage is the points used, the limits are the current balance.
import { Router } from '@koa/router';
import { userBalance } from '../../shared/auth/accounts.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';

const balance = (context: ApiContext, userId: number) => userBalance(context.knex, userId);

export function dashboardRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/dashboard/billing' });

  router.get('/usage', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const { used } = await balance(context, identity.userId);
    ctx.body = { object: 'list', total_usage: used };
  });

  router.get('/subscription', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const { quota } = await balance(context, identity.userId);
    ctx.body = {
      object: 'billing_subscription',
      has_payment_method: true,
      soft_limit_usd: quota,
      hard_limit_usd: quota,
      system_hard_limit_usd: quota,
      access_until: 0,
    };
  });

  return router;
}
