// The response cache (CHATNIO-API.md section 10): per-model opt-in. The key hashes what
// determines an answer; `size` variants are kept per prompt and a random slot is used.
import { createHash, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CompletionChoice, Usage } from '../wire/chat.js';

/** The parameters that shape an answer; anything else (user, stream options) does not. */
const KEY_FIELDS = [
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'stop',
  'n',
  'tools',
  'tool_choice',
  'response_format',
] as const;

export interface CachedAnswer {
  choices: CompletionChoice[];
  usage: Usage;
  fingerprint: string | null;
}

export function cacheHash(body: Record<string, unknown>): string {
  const picked: Record<string, unknown> = {};
  for (const field of KEY_FIELDS)
    if (body[field] !== undefined && body[field] !== null) picked[field] = body[field];
  return createHash('sha256').update(JSON.stringify(picked)).digest('hex');
}

/** A full cache key for one random variant slot. */
export function cacheSlotKey(prefix: string, body: Record<string, unknown>, size: number): string {
  return `${prefix}:cache:${cacheHash(body)}:${randomInt(Math.max(size, 1))}`;
}

export async function readCachedAnswer(redis: Redis, key: string): Promise<CachedAnswer | null> {
  const raw = await redis.get(key);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as CachedAnswer;
  } catch {
    return null;
  }
}

export async function storeCachedAnswer(
  redis: Redis,
  key: string,
  answer: CachedAnswer,
  expireSeconds: number,
) {
  await redis.set(key, JSON.stringify(answer), 'EX', expireSeconds);
}
