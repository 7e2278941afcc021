// One POST /v1/chat/completions: validate, check the model is routable, reserve its cost,
// then hand it to a relay job and stream or collect the answer. The hold is released at
// once if the job could not even be enqueued.
import type { Context } from 'koa';
import { settle } from '../../shared/billing/ledger.js';
import { errors } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import { chatRequestSchema } from '../../shared/wire/chat.js';
import type { Identity } from '../auth/identity-cache.js';
import { parseModelName, reserve } from '../billing/reserve.js';
import type { ApiContext } from '../context.js';
import { parseBody } from '../routes/parse.js';
import { completionIdentity } from '../streaming/chat-format.js';
import { collectChat } from '../streaming/collect.js';
import { streamChat } from '../streaming/sse.js';
import { assertRoutable } from './routable.js';

export async function handleChatCompletion(ctx: Context, context: ApiContext): Promise<void> {
  if (context.draining) throw errors.overloaded();
  const body = parseBody(chatRequestSchema, ctx.request.body);
  const identity: Identity = ctx.state.identity;
  const { model, showQuota } = parseModelName(body.model);
  assertRoutable(context.snapshot, model, identity.group);
  const requestId: string = ctx.state.requestId;
  const { billing } = await reserve(context, identity, requestId, model, body, showQuota);
  const data: ChatJobData = {
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
    billing,
  };
  const shape = completionIdentity(
    requestId,
    body.model,
    Boolean(body.stream && body.stream_options?.include_usage),
  );
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
