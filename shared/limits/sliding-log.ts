// Request counting with a sliding log (one sorted-set entry per accepted request): exact,
// atomic across processes, and a refused request is not counted.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SLIDING_LOG_LUA } from './lua.js';
import { defineScript } from './script.js';

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the oldest counted entry leaves the window (0: nothing counted). */
  resetMs: number;
}

const slidingLogScript = defineScript('slidingLog', SLIDING_LOG_LUA);

/** Counts one request under `key` if fewer than `limit` were accepted in the last `windowMs`. */
export async function hitSlidingLog(
  redis: Redis,
  key: string,
  limit: number,
  windowMs: number,
  member: string = randomUUID(),
): Promise<LimitResult> {
  const [allowed, max, remaining, resetMs] = await slidingLogScript(redis, [key], [limit, windowMs, member]);
  return { allowed: allowed === 1, limit: max, remaining, resetMs };
}
