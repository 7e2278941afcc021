// Account routes of this issue: POST /login, POST /state, GET /apikey, POST /resetkey.
// (Registration, verification and quota come with the billing work.)
import { Router } from '@koa/router';
import { z } from 'zod';
import { generateApiKey } from '../../shared/auth/api-key.js';
import { hashPassword, isLegacyHash, verifyPassword } from '../../shared/auth/password.js';
import { errors } from '../../shared/errors.js';
import { announceInvalidate } from '../../shared/pubsub.js';
import { signToken, TOKEN_TTL_SECONDS } from '../auth/jwt.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser, SESSION_COOKIE } from '../middleware/auth.js';
import { parseBody } from './parse.js';

const loginSchema = z.object({ username: z.string().min(1).max(255), password: z.string().min(1).max(128) });

export function accountRoutes(context: ApiContext): Router {
  const router = new Router();

  router.post('/login', async (ctx) => {
    const { username, password } = parseBody(loginSchema, ctx.request.body);
    const user = await context.knex('auth').where({ username }).orWhere({ email: username }).first();
    if (!user || !(await verifyPassword(user.password, password))) {
      ctx.body = { status: false, error: 'invalid username or password' };
      return;
    }
    if (user.is_banned) {
      ctx.body = { status: false, error: 'this account is banned' };
      return;
    }
    if (isLegacyHash(user.password)) {
      await context
        .knex('auth')
        .where({ id: user.id })
        .update({ password: await hashPassword(password) });
    }
    const token = signToken({ id: user.id, username: user.username }, context.jwtSecret);
    ctx.cookies.set(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/admin/queues',
      secure: context.config.COOKIE_SECURE,
      maxAge: TOKEN_TTL_SECONDS * 1000,
      overwrite: true,
    });
    ctx.body = { status: true, token };
  });

  router.post('/state', async (ctx) => {
    const identity: Identity | null = ctx.state.identity;
    ctx.body = {
      status: Boolean(identity),
      user: identity?.username ?? '',
      admin: Boolean(identity?.isAdmin),
    };
  });

  router.get('/apikey', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const existing = await context.knex('apikey').where({ user_id: identity.userId }).first('api_key');
    if (existing) {
      ctx.body = { status: true, key: existing.api_key };
      return;
    }
    const key = generateApiKey();
    await context.knex.raw('INSERT IGNORE INTO `apikey` (`user_id`, `api_key`) VALUES (?, ?)', [
      identity.userId,
      key,
    ]);
    const row = await context.knex('apikey').where({ user_id: identity.userId }).first('api_key');
    ctx.body = { status: true, key: row.api_key };
  });

  router.post('/resetkey', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const key = generateApiKey();
    await context.knex.raw(
      'INSERT INTO `apikey` (`user_id`, `api_key`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `api_key` = VALUES(`api_key`)',
      [identity.userId, key],
    );
    context.identities.invalidateUser(identity.userId);
    await announceInvalidate(context.redis, context.keys.invalidateChannel, 'auth', String(identity.userId));
    ctx.body = { status: true, key };
  });

  return router;
}

export function assertFound<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw errors.notFound(`${what} not found.`);
  return value;
}
