// One POST /v1/chat/completions: validate, check the model is routable and priced, serve a
// cached answer when there is one, else reserve its cost and hand it to a relay job that
// streams or collects the answer. The hold is released at once if the job was not enqueued.
import type { Context } from 'koa';
import { settle } from '../../shared/billing/settle.js';
import { errors } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import { chatRequestSchema } from '../../shared/wire/chat.js';
import type { Identity } from '../auth/identity-cache.js';
import { assertPriced, parseModelName, reserve } from '../billing/reserve.js';
import type { ApiContext } from '../context.js';
import { parseBody } from '../routes/parse.js';
import { completionIdentity } from '../streaming/chat-format.js';
import { collectChat } from '../streaming/collect.js';
import { streamChat } from '../streaming/sse.js';
import { cacheKeyFor, serveFromCache } from './cache-lookup.js';
import { assertRoutable } from './routable.js';

export async function handleChatCompletion(ctx: Context, context: ApiContext): Promise<void> {
  if (context.draining) throw errors.overloaded();
  const body = parseBody(chatRequestSchema, ctx.request.body);
  const identity: Identity = ctx.state.identity;
  const { model, showQuota } = parseModelName(body.model);
  assertRoutable(context.snapshot, model, identity.group);
  assertPriced(context, identity, model);
  const requestId: string = ctx.state.requestId;
  const request = {
    requestId,
    replyTo: context.receiver.channel,
    caller: {
      userId: identity.userId,
      username: identity.username,
      group: identity.group,
      isAdmin: identity.isAdmin,
      apiKeyId: identity.apiKeyId,
    },
    model,
    stream: Boolean(body.stream),
    body: { ...body, model },
    enqueuedAt: Date.now(),
    channelsVersion: context.snapshot.version,
  };
  const shape = completionIdentity(
    requestId,
    body.model,
    Boolean(body.stream && body.stream_options?.include_usage),
  );
  const cacheKey = cacheKeyFor(context, model, request.body);
  if (cacheKey && (await serveFromCache(ctx, context, cacheKey, request, shape, showQuota))) return;
  const { billing, prompt } = await reserve(context, identity, requestId, model, body, showQuota);
  const data: ChatJobData = {
    ...request,
    billing,
    cache: cacheKey ? { key: cacheKey, expire: context.settings.get().cache.expire } : null,
    promptTokens: prompt,
  };
  try {
    if (data.stream) await streamChat(ctx, context, data, shape);
    else await collectChat(ctx, context, data, shape);
  } catch (error) {
    // Only a failed enqueue throws here (later failures arrive as relay events).
    await settle(context.knex, { requestId, cost: 0, billable: false, record: null }).catch((releaseError) =>
      ctx.state.log.error(
        { err: releaseError },
        'releasing the hold of a request that was never enqueued failed',
      ),
    );
    throw error;
  }
}
