// Probes for load balancers and Kubernetes: /health (process alive) and /ready (MySQL and
// Redis reachable; 503 when not, or while draining).
import { Router } from '@koa/router';
import { pingDatabase } from '../../shared/db.js';
import type { ApiContext } from '../context.js';

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([probe().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(context: ApiContext): Router {
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const [mysql, redis] = await Promise.all([
      check(() => pingDatabase(context.knex)),
      check(() => context.redis.ping()),
    ]);
    const ready = mysql && redis && !context.draining;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', mysql, redis, draining: context.draining };
  });
  return router;
}
