// The Koa app: middleware order and route mounting. createApp never listens, so tests and
// the single-process launcher can embed it.
import Koa from 'koa';
import type { ApiContext } from './context.js';
import { authenticate, requireAdmin, requireAdminCookie } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { corsPolicy } from './middleware/cors.js';
import { errorHandler } from './middleware/errors.js';
import { requestId } from './middleware/request-id.js';
import { webThrottle } from './middleware/throttle.js';
import { accountRoutes } from './routes/accounts.js';
import { adminConfigRoutes } from './routes/admin-config.js';
import { adminChannelRoutes } from './routes/admin-channels.js';
import { adminCodeRoutes } from './routes/admin-codes.js';
import { adminPlanRoutes } from './routes/admin-plans.js';
import { codeRoutes } from './routes/codes.js';
import { subscriptionRoutes } from './routes/subscription.js';
import { adminLimitRoutes } from './routes/admin-limits.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { adminChargeRoutes } from './routes/admin-charges.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { recordRoutes } from './routes/records.js';
import { boardLoginPage } from './routes/board-login.js';
import { BULL_BOARD_PATH, bullBoard } from './routes/bull-board.js';
import { healthRoutes } from './routes/health.js';
import { relayRoutes } from './routes/relay.js';

export function createApp(context: ApiContext): Koa {
  const app = new Koa({ proxy: context.config.TRUST_PROXY });
  app.silent = true;
  const guardQueues = requireAdminCookie(context);
  const board = bullBoard(context);
  const guardAdmin = requireAdmin();
  const loginPage = boardLoginPage();

  app.use(requestId());
  app.use(errorHandler());
  app.use(corsPolicy(context.config.ALLOW_ORIGINS));
  app.use(async function bullBoardMount(ctx, next) {
    if (ctx.path !== BULL_BOARD_PATH && !ctx.path.startsWith(`${BULL_BOARD_PATH}/`)) return next();
    if (ctx.path === `${BULL_BOARD_PATH}/login` && ctx.method === 'GET') return loginPage(ctx, next);
    ctx.state.identity = null;
    return guardQueues(ctx, () => board(ctx, next));
  });
  app.use(webThrottle(context));
  app.use(jsonBody(context.config.BODY_LIMIT));
  app.use(authenticate(context));
  app.use(async function adminOnly(ctx, next) {
    if (ctx.path === '/admin' || ctx.path.startsWith('/admin/')) return guardAdmin(ctx, next);
    return next();
  });
  for (const router of [
    healthRoutes(context),
    accountRoutes(context),
    relayRoutes(context),
    adminChannelRoutes(context),
    codeRoutes(context),
    subscriptionRoutes(context),
    adminCodeRoutes(context),
    adminPlanRoutes(context),
    adminUserRoutes(context),
    adminLimitRoutes(context),
    adminConfigRoutes(context),
    adminChargeRoutes(context),
    recordRoutes(context),
    dashboardRoutes(context),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
