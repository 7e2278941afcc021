// Usage records: a user lists their own (GET /record/view), an admin everyone's with
// filters (GET /admin/record/view); newest first, page size 20, web envelope.
import { Router } from '@koa/router';
import { z } from 'zod';
import { listUsageRecords } from '../../shared/billing/records.js';
import { MAX_ROW_ID } from '../../shared/input-bounds.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';
import { parseBody } from './parse.js';

const querySchema = z.object({
  page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  user: z.coerce.number().int().min(1).max(MAX_ROW_ID).optional(),
  model: z.string().max(255).optional(),
});

export function recordRoutes(context: ApiContext): Router {
  const router = new Router();

  router.get('/record/view', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const query = parseBody(querySchema.pick({ page: true, model: true }), ctx.query);
    ctx.body = {
      status: true,
      data: await listUsageRecords(context.knex, { user: identity.userId, model: query.model }, query.page),
    };
  });

  router.get('/admin/record/view', async (ctx) => {
    const query = parseBody(querySchema, ctx.query);
    ctx.body = { status: true, data: await listUsageRecords(context.knex, query, query.page) };
  });

  return router;
}
