// The response cache on the api side: for an opted-in model, pick a variant slot and read a
// stored answer; a hit is served without any upstream call, billing or plan count, and a
// usage row with source `cache` is written off the response path.
import { type CachedAnswer, cacheSlotKey, readCachedAnswer } from '../../shared/cache/response-cache.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { ApiContext } from '../context.js';

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

/** The stored answer for `key` (null on a miss, or when the cache cannot be read). */
export async function lookUpCachedAnswer(context: ApiContext, key: string): Promise<CachedAnswer | null> {
  return readCachedAnswer(context.redis, key).catch(() => null);
}

/** Records a hit: no charge, one usage row with source `cache` (batched, never awaited by the client). */
export function recordCacheHit(
  context: ApiContext,
  data: Omit<ChatJobData, 'billing' | 'cache'>,
  answer: CachedAnswer,
  log: { warn: (object: object, message: string) => void },
): void {
  const finish = answer.choices[0]?.finish_reason;
  context.settlements
    .submit({
      requestId: data.requestId,
      cost: 0n,
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
    .catch((error) => log.warn({ err: error }, 'recording a cache hit failed'));
}
