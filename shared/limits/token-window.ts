// Tokens per window: usage is recorded when a request ends (it is unknown before), and a
// new request is admitted while the exact sum of the last window's usage is under the limit.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TOKENS_CHECK_LUA, TOKENS_RECORD_LUA } from './lua.js';
import { defineScript } from './script.js';
import type { LimitResult } from './sliding-log.js';

/** The two keys of one token window: the usage log and its running sum. */
export interface TokenWindowKeys {
  log: string;
  sum: string;
}

export interface TokenCheck extends LimitResult {
  used: number;
}

const checkScript = defineScript('tokensCheck', TOKENS_CHECK_LUA);
const recordScript = defineScript('tokensRecord', TOKENS_RECORD_LUA);

/** Allowed while the tokens recorded in the last `windowMs` are below `limit`; takes nothing. */
export async function checkTokenWindow(
  redis: Redis,
  keys: TokenWindowKeys,
  limit: number,
  windowMs: number,
): Promise<TokenCheck> {
  const [allowed, max, remaining, resetMs, used] = await checkScript(
    redis,
    [keys.log, keys.sum],
    [limit, windowMs],
  );
  return { allowed: allowed === 1, limit: max, remaining, resetMs, used };
}

/** Adds finished usage now (the same id and tokens twice count once); returns the window's total. */
export async function recordTokenWindow(
  redis: Redis,
  keys: TokenWindowKeys,
  tokens: number,
  windowMs: number,
  id: string = randomUUID(),
): Promise<number> {
  const whole = Math.max(0, Math.round(tokens));
  if (whole === 0) return (await checkTokenWindow(redis, keys, 1, windowMs)).used;
  const [used] = await recordScript(redis, [keys.log, keys.sum], [windowMs, id, whole]);
  return used;
}
