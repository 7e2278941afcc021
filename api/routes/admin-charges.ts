// Charge rules: admin list/set/delete/sync (web envelope) and the public price list
// GET /v1/charge. Every change is announced so all processes reload their rules.
import { Router } from '@koa/router';
import { z } from 'zod';
import { chargeInputSchema } from '../../shared/billing/charges.js';
import { errors } from '../../shared/errors.js';
import { announceInvalidate } from '../../shared/pubsub.js';
import type { ApiContext } from '../context.js';
import { parseBody, pathId } from './parse.js';

const syncSchema = z.object({
  overwrite: z.boolean().default(false),
  data: z.array(chargeInputSchema).max(1000),
});

export function adminChargeRoutes(context: ApiContext): Router {
  const router = new Router();
  const changed = async () => {
    await context.charges.reload();
    await announceInvalidate(context.redis, context.keys.invalidateChannel, 'charges');
  };

  router.get('/admin/charge/list', (ctx) => {
    ctx.body = { status: true, data: context.charges.list() };
  });

  router.post('/admin/charge/set', async (ctx) => {
    const id = await context.charges.set(parseBody(chargeInputSchema, ctx.request.body));
    await changed();
    ctx.body = { status: true, data: { id } };
  });

  router.get('/admin/charge/delete/:id', async (ctx) => {
    const id = pathId(ctx, 'charge id');
    if (!(await context.charges.delete(id))) throw errors.notFound(`charge rule ${id} not found`);
    await changed();
    ctx.body = { status: true };
  });

  router.post('/admin/charge/sync', async (ctx) => {
    const input = parseBody(syncSchema, ctx.request.body);
    const written = await context.charges.sync(input.data, input.overwrite);
    await changed();
    ctx.body = { status: true, data: { written } };
  });

  router.get('/v1/charge', (ctx) => {
    ctx.body = context.charges.list().map(({ id, type, models, input, output, anonymous }) => ({
      id,
      type,
      models,
      input,
      output,
      anonymous,
    }));
  });

  return router;
}
