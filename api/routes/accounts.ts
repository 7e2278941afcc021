// Account routes: /login, /register, /verify, /reset, /state, /userinfo, /quota, /info,
// /apikey, /resetkey. The work happens in shared/auth/accounts.ts; handlers parse and answer.
import { Router } from '@koa/router';
import { z } from 'zod';
import {
  type AccountDeps,
  loginUser,
  registerUser,
  resetPassword,
  type SessionUser,
  sendVerifyCode,
  userInfo,
  userQuota,
} from '../../shared/auth/accounts.js';
import { ensureApiKey, replaceApiKey } from '../../shared/auth/api-key.js';
import { mailConfigured } from '../../shared/mail/send.js';
import { forgetUser, type Identity } from '../auth/identity-cache.js';
import { signToken, TOKEN_TTL_SECONDS } from '../auth/jwt.js';
import type { ApiContext } from '../context.js';
import { requireUser, SESSION_COOKIE } from '../middleware/auth.js';
import { parseBody } from './parse.js';

const loginSchema = z.object({ username: z.string().min(1).max(255), password: z.string().min(1).max(128) });
const email = z.email().max(255);
const password = z.string().min(6).max(36);
const registerSchema = z.object({
  username: z
    .string()
    .min(2)
    .max(24)
    .regex(/^[^\s@]+$/u, 'must not contain spaces or @'),
  password,
  email,
  code: z.string().trim().max(16).optional(),
});
const verifySchema = z.object({ email });
const resetSchema = z.object({ email, code: z.string().trim().min(1).max(16), password });

export function accountDeps(context: ApiContext): AccountDeps {
  return {
    knex: context.knex,
    redis: context.redis,
    keys: context.keys,
    settings: context.settings,
    secret: context.jwtSecret,
    forget: (userId) => forgetUser(context, userId),
  };
}

export function accountRoutes(context: ApiContext): Router {
  const router = new Router();
  const deps = accountDeps(context);
  const tokenFor = (user: SessionUser) =>
    signToken({ id: user.id, username: user.username, stamp: user.stamp }, context.jwtSecret);

  router.post('/login', async (ctx) => {
    const { username, password } = parseBody(loginSchema, ctx.request.body);
    const user = await loginUser(deps, username, password);
    if ('error' in user) {
      ctx.body = { status: false, error: user.error };
      return;
    }
    const token = tokenFor(user);
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

  router.post('/register', async (ctx) => {
    const input = parseBody(registerSchema, ctx.request.body);
    ctx.body = { status: true, token: tokenFor(await registerUser(deps, input)) };
  });

  router.post('/verify', async (ctx) => {
    const input = parseBody(verifySchema, ctx.request.body);
    await sendVerifyCode(deps, input.email);
    ctx.body = { status: true };
  });

  router.post('/reset', async (ctx) => {
    const input = parseBody(resetSchema, ctx.request.body);
    await resetPassword(deps, input);
    ctx.body = { status: true };
  });

  router.get('/userinfo', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    ctx.body = { status: true, data: await userInfo(context.knex, identity.userId) };
  });

  router.get('/quota', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    ctx.body = { status: true, quota: await userQuota(context.knex, identity.userId) };
  });

  router.get('/info', async (ctx) => {
    const { site, mail } = context.settings.get();
    ctx.body = {
      status: true,
      data: {
        title: site.title,
        announcement: site.announcement,
        mail: mailConfigured(mail),
        close_register: site.close_register,
      },
    };
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
    ctx.body = { status: true, key: await ensureApiKey(context.knex, identity.userId) };
  });

  router.post('/resetkey', requireUser(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    const key = await replaceApiKey(context.knex, identity.userId);
    await forgetUser(context, identity.userId);
    ctx.body = { status: true, key };
  });

  return router;
}
