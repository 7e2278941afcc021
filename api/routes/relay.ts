// The OpenAI-compatible relay: POST /v1/chat/completions (stream and non-stream) and
// GET /v1/models. Handlers validate, check the model is routable, then hand the request
// to a relay job; they never call an upstream themselves.
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { relayLimits } from '../middleware/relay-limits.js';
import { handleChatCompletion } from '../relay/chat.js';

function requireCaller(): Middleware {
  return async function requireCallerMiddleware(ctx, next) {
    if (!ctx.state.identity) {
      throw new GatewayError('You did not provide an API key. Send it as `Authorization: Bearer sk-...`.', {
        status: 401,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
    }
    await next();
  };
}

export function relayRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/v1' });

  // Limits come before validation: malformed requests count too (see README, Limits).
  const limits = relayLimits(context);
  router.post('/chat/completions', requireCaller(), limits, (ctx) => handleChatCompletion(ctx, context));

  router.get('/models', requireCaller(), async (ctx) => {
    const identity: Identity = ctx.state.identity;
    ctx.body = {
      object: 'list',
      data: context.snapshot
        .models(identity.group)
        .map((id) => ({ id, object: 'model', created: 0, owned_by: 'chatnio' })),
    };
  });

  return router;
}
