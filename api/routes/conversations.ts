// Chat Nio's /conversation routes: history (list, load, rename, delete, clean), share links
// (share, public view, list, delete) and masks (view, save, delete), over the caller's own rows
// only. Failures carry `message` (what the front end shows) as well as `error`.
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { deleteMask, listMasks, saveMask } from '../../shared/conversations/masks.js';
import { deleteShare, listShares, loadShare, shareConversation } from '../../shared/conversations/sharing.js';
import {
  deleteConversations,
  listConversations,
  loadConversation,
  NAME_LENGTH,
  renameConversation,
} from '../../shared/conversations/store.js';
import { GatewayError } from '../../shared/errors.js';
import { fitsAsJson, MAX_INT, MAX_ROW_ID, textString } from '../../shared/input-bounds.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';
import { parseBody } from './parse.js';

/** Indexes one share may list; mask context messages. */
export const MAX_SHARE_REFS = 1000;
export const MAX_MASK_MESSAGES = 100;

const conversationId = z.number().int().min(1).max(MAX_INT);
const idQuery = z.object({
  id: z
    .string()
    .regex(/^\d{1,10}$/, 'must be a positive integer')
    .transform(Number)
    .pipe(conversationId),
});
const hashQuery = z.object({
  hash: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{32}$/i, 'must be 32 hexadecimal characters')
    .transform((hash) => hash.toLowerCase()),
});
const renameSchema = z.object({ id: conversationId, name: z.string().trim().min(1).max(NAME_LENGTH) });
const shareSchema = z.object({
  id: conversationId,
  refs: z.array(z.number().int().min(-1).max(MAX_INT)).min(1).max(MAX_SHARE_REFS),
});
const maskMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: textString() });
const maskSchema = z.object({
  id: z.union([z.literal(-1), z.number().int().min(1).max(MAX_ROW_ID)]),
  avatar: z.string().max(255).default(''),
  name: z.string().trim().min(1).max(NAME_LENGTH),
  description: textString().default(''),
  context: z
    .array(maskMessage)
    .max(MAX_MASK_MESSAGES)
    .refine((context) => fitsAsJson(context), 'must fit 65535 bytes as JSON'),
});
const maskIdSchema = z.object({ id: z.number().int().min(1).max(MAX_ROW_ID) });

const refused = (message: string) => ({ status: false, error: message, message });

/** Invalid input and unknown rows answer 200 with Chat Nio's envelope (auth failures keep their status). */
function conversationEnvelope(): Middleware {
  return async function conversationEnvelopeMiddleware(ctx, next) {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof GatewayError) || (error.status !== 400 && error.status !== 404)) throw error;
      ctx.status = 200;
      ctx.body = { ...refused(error.message), code: error.code };
    }
  };
}

export function conversationRoutes(context: ApiContext): Router {
  const router = new Router();
  const { knex } = context;
  const envelope = conversationEnvelope();
  const user = [envelope, requireUser()];
  const userId = (state: { identity: Identity }) => state.identity.userId;

  router.get('/conversation/list', ...user, async (ctx) => {
    ctx.body = { status: true, message: '', data: await listConversations(knex, userId(ctx.state)) };
  });

  router.get('/conversation/load', ...user, async (ctx) => {
    const { id } = parseBody(idQuery, ctx.query);
    const found = await loadConversation(knex, userId(ctx.state), id);
    ctx.body = found
      ? {
          status: true,
          message: '',
          data: { id, name: found.name, message: found.messages, model: found.model, shared: false },
        }
      : refused('conversation not found');
  });

  router.post('/conversation/rename', ...user, async (ctx) => {
    const { id, name } = parseBody(renameSchema, ctx.request.body);
    const renamed = await renameConversation(knex, userId(ctx.state), id, name);
    ctx.body = renamed ? { status: true, message: '' } : refused('conversation not found');
  });

  router.get('/conversation/delete', ...user, async (ctx) => {
    const { id } = parseBody(idQuery, ctx.query);
    const deleted = await deleteConversations(knex, userId(ctx.state), id);
    ctx.body = deleted > 0 ? { status: true, message: '' } : refused('conversation not found');
  });

  router.get('/conversation/clean', ...user, async (ctx) => {
    await deleteConversations(knex, userId(ctx.state));
    ctx.body = { status: true, message: '' };
  });

  router.post('/conversation/share', ...user, async (ctx) => {
    const { id, refs } = parseBody(shareSchema, ctx.request.body);
    const shared = await shareConversation(knex, userId(ctx.state), id, refs);
    ctx.body = shared.ok ? { status: true, message: '', data: shared.hash } : refused(shared.error);
  });

  router.get('/conversation/view', envelope, async (ctx) => {
    const { hash } = parseBody(hashQuery, ctx.query);
    const shared = await loadShare(knex, hash);
    ctx.body = shared ? { status: true, message: '', data: shared } : refused('sharing not found');
  });

  router.get('/conversation/share/list', ...user, async (ctx) => {
    ctx.body = { status: true, message: '', data: await listShares(knex, userId(ctx.state)) };
  });

  router.get('/conversation/share/delete', ...user, async (ctx) => {
    const { hash } = parseBody(hashQuery, ctx.query);
    const deleted = await deleteShare(knex, userId(ctx.state), hash);
    ctx.body = deleted ? { status: true, message: '' } : refused('sharing not found');
  });

  router.get('/conversation/mask/view', ...user, async (ctx) => {
    ctx.body = { status: true, error: '', data: await listMasks(knex, userId(ctx.state)) };
  });

  router.post('/conversation/mask/save', ...user, async (ctx) => {
    const mask = parseBody(maskSchema, ctx.request.body);
    const saved = await saveMask(knex, userId(ctx.state), mask);
    ctx.body = saved.ok ? { status: true, error: '', data: { id: saved.id } } : refused(saved.error);
  });

  router.post('/conversation/mask/delete', ...user, async (ctx) => {
    const { id } = parseBody(maskIdSchema, ctx.request.body);
    const deleted = await deleteMask(knex, userId(ctx.state), id);
    ctx.body = deleted ? { status: true, error: '' } : refused('mask not found');
  });

  return router;
}
