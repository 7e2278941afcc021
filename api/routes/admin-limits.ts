// Admin per-user relay limits (web envelope): GET /admin/user/limit?id=, POST /admin/user/limit
// {id, rpm?, tpm?, concurrency?}; null restores the global value, 0 is unlimited. A change
// drops the user's cached identity (and with it the cached limits) in every process.
import { Router } from '@koa/router';
import { userExists } from '../../shared/auth/accounts.js';
import { z } from 'zod';
import { MAX_ROW_ID } from '../../shared/input-bounds.js';
import { effectiveLimits, loadUserLimit, saveUserLimit } from '../../shared/limits/user-limits.js';
import { forgetUser } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { parseBody } from './parse.js';

const id = z.coerce.number().int().min(1).max(MAX_ROW_ID);
/** user_limit columns are INT UNSIGNED. */
const limit = z.number().int().min(0).max(1_000_000_000).nullable().optional();
const viewSchema = z.object({ id });
const updateSchema = z.object({ id, rpm: limit, tpm: limit, concurrency: limit });

export function adminLimitRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/user' });

  const view = async (userId: number) => {
    const override = await loadUserLimit(context.knex, userId);
    return { id: userId, ...override, effective: effectiveLimits(context.settings.get().limits, override) };
  };
  const exists = (userId: number) => userExists(context.knex, userId);

  router.get('/limit', async (ctx) => {
    const input = parseBody(viewSchema, ctx.query);
    if (!(await exists(input.id))) {
      ctx.body = { status: false, error: 'user not found' };
      return;
    }
    ctx.body = { status: true, data: await view(input.id) };
  });

  router.post('/limit', async (ctx) => {
    const { id: userId, ...patch } = parseBody(updateSchema, ctx.request.body);
    if (!(await exists(userId))) {
      ctx.body = { status: false, error: 'user not found' };
      return;
    }
    await saveUserLimit(context.knex, userId, patch);
    await forgetUser(context, userId);
    ctx.body = { status: true, data: await view(userId) };
  });

  return router;
}
