// Admin user management (page size 10, page 0-based like Chat Nio): GET /admin/user/list,
// POST /admin/user/{quota, ban, password}. Bans and password changes apply at once everywhere.
import { Router } from '@koa/router';
import { z } from 'zod';
import { adjustQuota, listUsers, setBanned, setPassword } from '../../shared/auth/admin-users.js';
import { MAX_POINTS, rowId } from '../../shared/input-bounds.js';
import type { Identity } from '../auth/identity-cache.js';
import { forgetUser } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { parseBody } from './parse.js';

const id = rowId;
const listSchema = z.object({
  page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  search: z.string().trim().max(255).default(''),
});
const quotaSchema = z.object({
  id,
  quota: z.number().min(-MAX_POINTS).max(MAX_POINTS),
  override: z.boolean().default(false),
});
const banSchema = z.object({ id, ban: z.boolean() });
const passwordSchema = z.object({ id, password: z.string().min(6).max(36) });

export function adminUserRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/user' });
  const deps = { knex: context.knex, forget: (userId: number) => forgetUser(context, userId) };

  router.get('/list', async (ctx) => {
    const { page, search } = parseBody(listSchema, ctx.query);
    ctx.body = { status: true, data: await listUsers(context.knex, page, search) };
  });

  router.post('/quota', async (ctx) => {
    const input = parseBody(quotaSchema, ctx.request.body);
    ctx.body = {
      status: true,
      quota: await adjustQuota(context.knex, input.id, input.quota, input.override),
    };
  });

  router.post('/ban', async (ctx) => {
    const input = parseBody(banSchema, ctx.request.body);
    const actor: Identity = ctx.state.identity;
    await setBanned(deps, actor.userId, input.id, input.ban);
    ctx.body = { status: true };
  });

  router.post('/password', async (ctx) => {
    const input = parseBody(passwordSchema, ctx.request.body);
    const actor: Identity = ctx.state.identity;
    await setPassword(deps, actor.userId, input.id, input.password);
    ctx.body = { status: true };
  });

  return router;
}
