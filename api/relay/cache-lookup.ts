// The response cache on the api side: for an opted-in model, pick a variant slot and serve a
// stored answer without any upstream call, billing or plan count (a usage row with source
// `cache` is written off the response path).
import type { Context } from 'koa';
import { cacheSlotKey, readCachedAnswer } from '../../shared/cache/response-cache.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { ApiContext } from '../context.js';
import type { CompletionIdentity } from '../streaming/chat-format.js';
import { replayAnswer } from '../streaming/replay.js';

/** The slot key for this request, or null when the model is not cached. */
export function cacheKeyFor(
  context: ApiContext,
  model: string,
  body: Record<string, unknown>,
): string | null {
  const cache = context.settings.get().cache;
  if (!cache.models.includes(model)) return null;
  return cacheSlotKey(context.config.REDIS_PREFIX, { ...body, model }, cache.size);
}

/** Serves a hit and returns true; false on a miss (or when the cache cannot be read). */
export async function serveFromCache(
  ctx: Context,
  context: ApiContext,
  key: string,
  data: Omit<ChatJobData, 'billing' | 'cache'>,
  shape: CompletionIdentity,
  showQuota: boolean,
): Promise<boolean> {
  const answer = await readCachedAnswer(context.redis, key).catch(() => null);
  if (!answer) return false;
  ctx.set('x-cache', 'hit');
  replayAnswer(ctx, shape, answer, data.stream, showQuota ? 0 : undefined);
  const finish = answer.choices[0]?.finish_reason;
  context.settlements
    .submit({
      requestId: data.requestId,
      cost: 0,
      billable: true,
      record: {
        requestId: data.requestId,
        userId: data.caller.userId,
        apiKeyId: data.caller.apiKeyId,
        model: data.model,
        upstreamModel: null,
        channelId: null,
        promptTokens: answer.usage.prompt_tokens,
        completionTokens: answer.usage.completion_tokens,
        source: 'cache',
        endReason: finish === 'length' || finish === 'tool_calls' ? finish : 'stop',
        latencyMs: Date.now() - data.enqueuedAt,
        ttftMs: Date.now() - data.enqueuedAt,
        startedAt: data.enqueuedAt,
      },
    })
    .catch((error) => ctx.state.log.warn({ err: error }, 'recording a cache hit failed'));
  return true;
}
