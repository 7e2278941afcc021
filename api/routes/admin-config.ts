// Site settings for admins: GET /admin/config/view (mail password masked) and
// POST /admin/config/update (partial, validated, applied in every process without a restart).
import { Router } from '@koa/router';
import { errors } from '../../shared/errors.js';
import type { Settings, SettingsSection } from '../../shared/settings/schema.js';
import type { ApiContext } from '../context.js';

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

export function adminConfigRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/admin/config' });

  router.get('/view', async (ctx) => {
    ctx.body = { status: true, data: maskSettings(context.settings.get()) };
  });

  router.post('/update', async (ctx) => {
    const patch = settingsPatch(ctx.request.body);
    const next = await context.settings.update(context.redis, context.keys.invalidateChannel, patch);
    ctx.body = { status: true, data: maskSettings(next) };
  });

  return router;
}
