// Gives every request an id (returned as x-request-id) and a logger carrying it; the same
// id travels in the job so worker log lines join up.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { requestLogger } from '../../shared/log.js';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export function requestId(): Middleware {
  return async function requestIdMiddleware(ctx, next) {
    const id = randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = requestLogger(id, 'api');
    ctx.set('x-request-id', id);
    const clientId = ctx.get('x-request-id');
    const started = Date.now();
    await next();
    ctx.state.log.info(
      {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Date.now() - started,
        ...(clientId && CLIENT_ID.test(clientId) ? { clientRequestId: clientId } : {}),
      },
      'request',
    );
  };
}
