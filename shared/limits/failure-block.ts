// Blocks a client (an IP) that sent too many bad credentials: more than `max` failures in
// `windowMs` blocks it for `blockMs` from the failure that crossed the line. Kept in Redis so
// every api process agrees; the failure log never holds more than max + 1 entries.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { FAILURE_BLOCK_LUA } from './lua.js';
import { defineScript } from './script.js';

export interface FailureRule {
  max: number;
  windowMs: number;
  blockMs: number;
}

/** CHATNIO-API.md section 1: more than 50 bad API keys in 20 minutes, blocked for 20 minutes. */
export const BAD_KEY_RULE: FailureRule = { max: 50, windowMs: 20 * 60_000, blockMs: 20 * 60_000 };

export interface FailureBlockKeys {
  log: string;
  block: string;
}

const failureScript = defineScript('failureBlock', FAILURE_BLOCK_LUA);

/** Milliseconds the client stays blocked (0 = not blocked). */
export async function blockedFor(redis: Redis, keys: FailureBlockKeys): Promise<number> {
  return Math.max(0, await redis.pttl(keys.block));
}

/** Counts one failure; returns the failures in the window and the block it started (ms, 0 = none). */
export async function countFailure(
  redis: Redis,
  keys: FailureBlockKeys,
  rule: FailureRule = BAD_KEY_RULE,
): Promise<{ failures: number; blockedMs: number }> {
  const [failures, blockedMs] = await failureScript(
    redis,
    [keys.log, keys.block],
    [rule.max, rule.windowMs, rule.blockMs, randomUUID()],
  );
  return { failures, blockedMs };
}
