// The OpenAI-compatible relay: POST /v1/chat/completions (stream and non-stream) and
// GET /v1/models. Handlers validate, check the model is routable, then hand the request
// to a relay job; they never call an upstream themselves.
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { ChannelSnapshot } from '../../shared/channels/snapshot.js';
import { errors, GatewayError } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import { chatRequestSchema } from '../../shared/wire/chat.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { completionIdentity } from '../streaming/chat-format.js';
import { collectChat } from '../streaming/collect.js';
import { streamChat } from '../streaming/sse.js';
import { parseBody } from './parse.js';

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

/** 404 for a model nobody serves, 403 for one this caller's group may not use, 503 when none is enabled. */
export function assertRoutable(snapshot: ChannelSnapshot, model: string, group: string): void {
  const access = snapshot.access(model, group);
  if (access === 'unknown') throw errors.modelNotFound(model);
  if (access === 'forbidden')
    throw errors.forbidden(`Your account may not use the model \`${model}\`.`, 'model_not_allowed');
  if (access === 'unavailable') throw errors.noChannel(model);
}

export function relayRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/v1' });

  router.post('/chat/completions', requireCaller(), async (ctx) => {
    if (context.draining) throw errors.overloaded();
    const body = parseBody(chatRequestSchema, ctx.request.body);
    const identity: Identity = ctx.state.identity;
    assertRoutable(context.snapshot, body.model, identity.group);
    const data: ChatJobData = {
      requestId: ctx.state.requestId,
      replyTo: context.receiver.channel,
      caller: {
        userId: identity.userId,
        username: identity.username,
        group: identity.group,
        isAdmin: identity.isAdmin,
        apiKeyId: identity.apiKeyId,
      },
      model: body.model,
      stream: Boolean(body.stream),
      body,
      enqueuedAt: Date.now(),
      channelsVersion: context.snapshot.version,
    };
    const shape = completionIdentity(
      data.requestId,
      body.model,
      Boolean(body.stream && body.stream_options?.include_usage),
    );
    if (data.stream) await streamChat(ctx, context, data, shape);
    else await collectChat(ctx, context, data, shape);
  });

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
