// Usage records: a user lists their own (GET /record/view), an admin everyone's with
// filters (GET /admin/record/view); newest first, page size 20, web envelope.
import { Router } from '@koa/router';
import type { Knex } from 'knex';
import { z } from 'zod';
import { MAX_ROW_ID } from '../../shared/input-bounds.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';
import { parseBody } from './parse.js';

const PAGE_SIZE = 20;

const querySchema = z.object({
  page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  user: z.coerce.number().int().min(1).max(MAX_ROW_ID).optional(),
  model: z.string().max(255).optional(),
});

const COLUMNS = [
  'id',
  'request_id',
  'created_at',
  'user_id',
  'api_key_id',
  'model',
  'upstream_model',
  'channel_id',
  'prompt_tokens',
  'completion_tokens',
  'cost',
  'source',
  'end_reason',
  'latency_ms',
  'ttft_ms',
];

async function page(knex: Knex, filter: { user?: number; model?: string }, pageIndex: number) {
  const query = knex('usage_record');
  if (filter.user) query.where('user_id', filter.user);
  if (filter.model) query.where('model', filter.model);
  const [{ total }] = await query.clone().count({ total: '*' });
  const rows = await query
    .orderBy('id', 'desc')
    .limit(PAGE_SIZE)
    .offset(pageIndex * PAGE_SIZE)
    .select(COLUMNS);
  return {
    total: Number(total),
    page: pageIndex,
    pages: Math.ceil(Number(total) / PAGE_SIZE),
    data: rows.map((row) => ({ ...row, cost: Number(row.cost) })),
  };
}

export function recordRoutes(context: ApiContext): Router {
  const router = new Router();

  router.get('/record/view', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const query = parseBody(querySchema.pick({ page: true, model: true }), ctx.query);
    ctx.body = {
      status: true,
      data: await page(context.knex, { user: identity.userId, model: query.model }, query.page),
    };
  });

  router.get('/admin/record/view', async (ctx) => {
    const query = parseBody(querySchema, ctx.query);
    ctx.body = { status: true, data: await page(context.knex, query, query.page) };
  });

  return router;
}
