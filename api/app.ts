// The Koa app: middleware order and route mounting. createApp never listens, so tests and
// the single-process launcher can embed it.
import Koa from 'koa';
import type { ApiContext } from './context.js';
import { authenticate, requireAdmin, requireAdminCookie } from './middleware/auth.js';
import { jsonBody } from './middleware/body.js';
import { canonicalizePath, isUnder } from './middleware/canonical-path.js';
import { corsPolicy } from './middleware/cors.js';
import { staticSite } from './middleware/static-site.js';
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
import { conversationRoutes } from './routes/conversations.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { recordRoutes } from './routes/records.js';
import { boardLoginPage } from './routes/board-login.js';
import { BULL_BOARD_PATH, bullBoard } from './routes/bull-board.js';
import { healthRoutes } from './routes/health.js';
import { mountRouters } from './routes/mount.js';
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
  app.use(canonicalizePath());
  app.use(corsPolicy(context.config.ALLOW_ORIGINS));
  if (context.config.STATIC_DIR) app.use(staticSite(context.config.STATIC_DIR));
  app.use(async function bullBoardMount(ctx, next) {
    if (!isUnder(ctx.path, BULL_BOARD_PATH)) return next();
    if (ctx.method === 'GET' && ctx.path.toLowerCase() === `${BULL_BOARD_PATH}/login`)
      return loginPage(ctx, next);
    ctx.state.identity = null;
    return guardQueues(ctx, () => board(ctx, next));
  });
  app.use(webThrottle(context));
  app.use(jsonBody(context.config.BODY_LIMIT));
  app.use(authenticate(context));
  mountRouters(
    app,
    [
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
      conversationRoutes(context),
    ],
    guardAdmin,
  );
  return app;
}
