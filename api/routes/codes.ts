// Users' codes: GET /redeem?code= (single-use redeem code) and GET /invite?code= (invitation
// code, one per type per user); both answer {status, error, quota} with the quota credited.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { type CodeResult, useInvitationCode, useRedeemCode } from '../../shared/billing/codes.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { requireUser } from '../middleware/auth.js';

function codeParam(ctx: Context): string {
  const code = ctx.query.code;
  return typeof code === 'string' ? code.trim().slice(0, 255) : '';
}

function answer(result: CodeResult) {
  return result.ok
    ? { status: true, error: '', quota: Number(result.quota) }
    : { status: false, error: result.error, quota: 0 };
}

export function codeRoutes(context: ApiContext): Router {
  const router = new Router();
  const routes = [
    ['/redeem', useRedeemCode],
    ['/invite', useInvitationCode],
  ] as const;

  for (const [path, use] of routes) {
    router.get(path, requireUser(), async (ctx) => {
      const identity: Identity = ctx.state.identity;
      const code = codeParam(ctx);
      ctx.body = code
        ? answer(await use(context.knex, identity.userId, code))
        : answer({ ok: false, error: 'code is required' });
    });
  }

  return router;
}
