// Admin code management (web envelope): redeem and invitation codes — list (10 per page,
// 0-based), generate (1-1000 at once, answers the codes), delete by code.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  deleteCode,
  generateInvitationCodes,
  generateRedeemCodes,
  listInvitationCodes,
  listRedeemCodes,
} from '../../shared/billing/codes.js';
import { errors } from '../../shared/errors.js';
import type { ApiContext } from '../context.js';
import { parseBody } from './parse.js';

/** redeem.quota and invitation.quota are DECIMAL(12,4). */
const quota = z.number().min(0.0001).max(99_999_999);
const number = z.number().int().min(1).max(1000);
const redeemSchema = z.object({ quota, number });
const invitationSchema = z.object({
  type: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'type must be 1-64 letters, digits, _ . or -'),
  quota,
  number,
});
const deleteSchema = z.object({ code: z.string().trim().min(1).max(255) });

function pageParam(ctx: Context): number {
  const raw = ctx.query.page;
  const page = raw === undefined || raw === '' ? 0 : Number(raw);
  if (!Number.isInteger(page) || page < 0 || page > 1_000_000)
    throw errors.invalidRequest('page must be a non-negative integer', 'page');
  return page;
}

export function adminCodeRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin' });
  const { knex } = context;

  router.get('/redeem/list', async (ctx) => {
    ctx.body = { status: true, data: await listRedeemCodes(knex, pageParam(ctx)) };
  });

  router.post('/redeem/generate', async (ctx) => {
    const input = parseBody(redeemSchema, ctx.request.body);
    ctx.body = { status: true, data: await generateRedeemCodes(knex, input.quota, input.number) };
  });

  router.get('/invitation/list', async (ctx) => {
    ctx.body = { status: true, data: await listInvitationCodes(knex, pageParam(ctx)) };
  });

  router.post('/invitation/generate', async (ctx) => {
    const input = parseBody(invitationSchema, ctx.request.body);
    ctx.body = {
      status: true,
      data: await generateInvitationCodes(knex, input.type, input.quota, input.number),
    };
  });

  for (const table of ['redeem', 'invitation'] as const) {
    router.post(`/${table}/delete`, async (ctx) => {
      const { code } = parseBody(deleteSchema, ctx.request.body);
      ctx.body = (await deleteCode(knex, table, code))
        ? { status: true }
        : { status: false, error: `${table} code not found` };
    });
  }

  return router;
}
