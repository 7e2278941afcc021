// Turns thrown errors into answers: OpenAI-shaped bodies with the right status on /v1,
// the Chat Nio envelope on web routes. MySQL or Redis being down is a 503 with Retry-After;
// unknown errors are logged and become a bare 500.
import type { Context, Middleware } from 'koa';
import { dbConstraintError } from '../../shared/db-errors.js';
import { GatewayError, errors } from '../../shared/errors.js';
import { isOutage, OUTAGE_RETRY_AFTER_SECONDS } from '../../shared/outage.js';
import { isUnder } from './canonical-path.js';

export function isRelayPath(path: string): boolean {
  return isUnder(path, '/v1');
}

export function sendError(ctx: Context, error: GatewayError): void {
  if (error.headers) ctx.set(error.headers);
  // A 503 is a service that will be back: say when to retry (OpenAI clients honour it).
  if (error.status === 503 && !ctx.response.get('retry-after'))
    ctx.set('retry-after', String(OUTAGE_RETRY_AFTER_SECONDS));
  if (isRelayPath(ctx.path)) {
    ctx.status = error.status;
    ctx.body = error.toBody();
    return;
  }
  // Chat Nio web endpoints answer 200 with an envelope; auth failures keep their status.
  ctx.status = error.status === 401 || error.status === 403 || error.status === 413 ? error.status : 200;
  if (error.status >= 500) ctx.status = error.status;
  ctx.body = { status: false, error: error.message, code: error.code };
}

export function errorHandler(): Middleware {
  return async function errorMiddleware(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        sendError(ctx, errors.notFound(`No route for ${ctx.method} ${ctx.path}`));
    } catch (error) {
      if (error instanceof GatewayError) return sendError(ctx, error);
      // http-errors use `status`, objection's validation errors `statusCode`.
      const {
        status: given,
        statusCode,
        expose,
      } = error as { status?: number; statusCode?: number; expose?: boolean };
      const status = given ?? statusCode;
      if (status === 413) return sendError(ctx, errors.payloadTooLarge());
      if (status && status >= 400 && status < 500) {
        // Only messages meant for clients are shown; a library's own wording could say too much.
        const message = expose === true ? (error as Error).message : '';
        return sendError(ctx, errors.invalidRequest(message || 'Bad request.'));
      }
      if (isOutage(error)) {
        ctx.state.log?.warn({ err: error }, 'dependency unavailable');
        return sendError(ctx, errors.dependencyUnavailable());
      }
      const dbError = dbConstraintError(error);
      if (dbError) return sendError(ctx, dbError);
      ctx.state.log?.error({ err: error }, 'unhandled error');
      sendError(ctx, errors.internal());
    }
  };
}
