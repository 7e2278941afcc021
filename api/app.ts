// The Koa app: middleware order and route mounting. createApp never listens, so tests and
// the single-process launcher can embed it.
import Koa from 'koa';
import type { ApiContext } from './context.js';
import { authenticate, requireAdmin, requireAdminCookie } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { corsPolicy } from './middleware/cors.js';
import { errorHandler } from './middleware/errors.js';
import { requestId } from './middleware/request-id.js';
import { accountRoutes } from './routes/accounts.js';
import { adminChannelRoutes } from './routes/admin-channels.js';
import { boardLoginPage } from './routes/board-login.js';
import { BULL_BOARD_PATH, bullBoard } from './routes/bull-board.js';
import { healthRoutes } from './routes/health.js';
import { relayRoutes } from './routes/relay.js';

export function createApp(context: ApiContext): Koa {
  const app = new Koa({ proxy: true });
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
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
