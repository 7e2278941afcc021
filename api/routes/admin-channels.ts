// Admin channel management (web envelope): list, get, create, update, delete, activate,
// deactivate. Every change is announced over Redis so all processes reload their snapshot.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { GROUPS } from '../../shared/auth/groups.js';
import { errors } from '../../shared/errors.js';
import { MAX_INT, modelList, textString } from '../../shared/input-bounds.js';
import { Channel } from '../../shared/models/channel.js';
import { announceChannelsChanged } from '../../shared/pubsub.js';
import { supportedChannelTypes } from '../../shared/providers/registry.js';
import type { ApiContext } from '../context.js';
import { parseBody, pathId } from './parse.js';

const proxySchema = z.object({
  proxy: z.string().max(1024).default(''),
  proxy_type: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(0),
  username: z.string().max(255).default(''),
  password: z.string().max(255).default(''),
});

const channelSchema = z.object({
  name: z.string().trim().min(1).max(255),
  type: z
    .string()
    .max(64)
    .refine((type) => supportedChannelTypes().includes(type), 'unsupported channel type'),
  priority: z.number().int().min(-MAX_INT).max(MAX_INT).default(0),
  weight: z.number().int().min(1).max(1_000_000).default(1),
  models: modelList().min(1),
  retry: z.number().int().min(1).max(10).default(1),
  /** One key per line; the column is TEXT. */
  secret: textString().trim().min(1),
  endpoint: z.url({ protocol: /^https?$/ }).max(1024),
  mapper: textString().default(''),
  state: z.boolean().default(true),
  group: z.array(z.enum(GROUPS)).max(GROUPS.length).default([]),
  proxy: proxySchema.default({ proxy: '', proxy_type: 0, username: '', password: '' }),
});

const channelId = (ctx: Context): number => pathId(ctx, 'channel id');

/** Lists show only a hint of each secret; GET /get/:id returns the whole channel. */
function maskSecret(secret: string): string {
  const lines = secret.split(/\r?\n/).filter(Boolean);
  const first = lines[0] ?? '';
  const hint = first.length > 8 ? `${first.slice(0, 4)}…${first.slice(-4)}` : '…';
  return lines.length > 1 ? `${hint} (+${lines.length - 1} more)` : hint;
}

export function adminChannelRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/channel' });
  const changed = async () => {
    await announceChannelsChanged(
      context.redis,
      context.keys.channelsVersion,
      context.keys.invalidateChannel,
    );
    await context.snapshot.reload();
  };
  const find = async (id: number) => {
    const channel = await Channel.query(context.knex).findById(id);
    if (!channel) throw errors.notFound(`channel ${id} not found`);
    return channel;
  };

  router.get('/list', async (ctx) => {
    const channels = await Channel.query(context.knex).orderBy('id');
    ctx.body = {
      status: true,
      data: channels.map((channel) => ({ ...channel, secret: maskSecret(channel.secret) })),
    };
  });

  router.get('/get/:id', async (ctx) => {
    ctx.body = { status: true, data: await find(channelId(ctx)) };
  });

  router.post('/create', async (ctx) => {
    const input = parseBody(channelSchema, ctx.request.body);
    const channel = await Channel.query(context.knex).insertAndFetch(input);
    await changed();
    ctx.body = { status: true, data: { id: channel.id } };
  });

  router.post('/update/:id', async (ctx) => {
    const id = channelId(ctx);
    const parsed = parseBody(channelSchema.partial(), ctx.request.body);
    // Only the fields sent: a partial update must not reset the others to their defaults.
    const sent = new Set(Object.keys((ctx.request.body ?? {}) as object));
    const input = Object.fromEntries(Object.entries(parsed).filter(([key]) => sent.has(key)));
    await find(id);
    await Channel.query(context.knex).patchAndFetchById(id, input);
    await changed();
    ctx.body = { status: true };
  });

  router.get('/delete/:id', async (ctx) => {
    const deleted = await Channel.query(context.knex).deleteById(channelId(ctx));
    if (!deleted) throw errors.notFound('channel not found');
    await changed();
    ctx.body = { status: true };
  });

  for (const [action, state] of [
    ['activate', true],
    ['deactivate', false],
  ] as const) {
    router.get(`/${action}/:id`, async (ctx) => {
      const id = channelId(ctx);
      await find(id);
      await Channel.query(context.knex).patchAndFetchById(id, { state });
      await changed();
      ctx.body = { status: true };
    });
  }

  return router;
}
