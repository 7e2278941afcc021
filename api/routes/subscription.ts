// Subscriptions: GET /subscription (level, expiry, counter reset, item usage), POST /subscribe
// {level, month} paid from the balance, and the public plan list GET /v1/plans.
import { Router } from '@koa/router';
import { z } from 'zod';
import { purchaseSubscription, subscriptionStatus } from '../../shared/billing/subscribe.js';
import { MAX_MONTHS } from '../../shared/billing/subscription-math.js';
import { forgetUser, type Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';
import { parseBody } from './parse.js';

const subscribeSchema = z.object({
  level: z.number().int().min(1).max(3),
  month: z.number().int().min(1).max(MAX_MONTHS),
});

export function subscriptionRoutes(context: ApiContext): Router {
  const router = new Router();

  router.get('/subscription', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    ctx.body = { status: true, ...(await subscriptionStatus(context.knex, context.plans, identity.userId)) };
  });

  router.post('/subscribe', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const { level, month } = parseBody(subscribeSchema, ctx.request.body);
    const result = await purchaseSubscription(context.knex, context.plans, identity.userId, level, month);
    if (!result.ok) {
      ctx.body = { status: false, error: result.error };
      return;
    }
    // The user's group (channel routing) follows the level: drop cached identities everywhere.
    await forgetUser(context, identity.userId);
    ctx.body = {
      status: true,
      error: '',
      data: {
        kind: result.kind,
        cost: Number(result.cost),
        level: result.level,
        expired_at: result.expiredAt.toISOString(),
      },
    };
  });

  router.get('/v1/plans', (ctx) => {
    ctx.body = { status: true, data: context.plans.get() };
  });

  return router;
}
