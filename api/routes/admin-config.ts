// Site settings for admins: GET /admin/config/view (mail password masked) and
// POST /admin/config/update (partial, validated, applied in every process without a restart),
// GET /admin/config/test/search (run a web search with the current settings).
import { Router } from '@koa/router';
import { z } from 'zod';
import { errors } from '../../shared/errors.js';
import { searchWeb } from '../../shared/search/searxng.js';
import type { Settings, SettingsSection } from '../../shared/settings/schema.js';
import type { ApiContext } from '../context.js';
import { parseBody } from './parse.js';

/** What the view shows instead of a stored mail password; posting it back keeps the stored one. */
export const PASSWORD_MASK = '******';

export function maskSettings(settings: Readonly<Settings>): Settings {
  return { ...settings, mail: { ...settings.mail, password: settings.mail.password ? PASSWORD_MASK : '' } };
}

/** The body as a per-section patch; the mask in mail.password means "unchanged". */
export function settingsPatch(body: unknown): Partial<Record<SettingsSection, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw errors.invalidRequest('Invalid request body: expected an object of settings sections');
  const patch: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(body)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw errors.invalidRequest(`Invalid value for '${section}': expected an object`, section);
    patch[section] = value;
  }
  const mail = patch.mail as Record<string, unknown> | undefined;
  if (mail?.password === PASSWORD_MASK) {
    const { password: _kept, ...rest } = mail;
    patch.mail = rest;
  }
  return patch;
}

const searchTestSchema = z.object({ query: z.string().trim().min(1).max(500) });

export function adminConfigRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/config' });

  router.get('/view', async (ctx) => {
    ctx.body = { status: true, data: maskSettings(context.settings.get()) };
  });

  // Chat Nio's "test search" button: the search as the chat would run it.
  router.get('/test/search', async (ctx) => {
    const { query } = parseBody(searchTestSchema, ctx.query);
    const outcome = await searchWeb(context.settings.get().search, query);
    ctx.body = outcome.ok ? { status: true, result: outcome.text } : { status: false, error: outcome.error };
  });

  router.post('/update', async (ctx) => {
    const patch = settingsPatch(ctx.request.body);
    const next = await context.settings.update(context.redis, context.keys.invalidateChannel, patch);
    ctx.body = { status: true, data: maskSettings(next) };
  });

  return router;
}
