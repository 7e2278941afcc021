// Emailed 6-digit codes: only an HMAC of the code is kept in Redis for 5 minutes, at most one
// code per email per 60 s, 5 wrong tries burn it, and a right one is consumed exactly once.
import { createHmac, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import { secretsEqual } from './session-stamp.js';

export const CODE_TTL_SECONDS = 300;
export const CODE_COOLDOWN_SECONDS = 60;
export const CODE_MAX_ATTEMPTS = 5;

export interface CodeStore {
  redis: Redis;
  keys: RedisKeys;
  /** HMAC key, so a Redis dump does not reveal codes (a 6-digit hash is brute-forced at once). */
  secret: string;
}

// Deletes the code only while it is still the one we compared against (single use under races).
const CONSUME =
  "if redis.call('hget', KEYS[1], 'h') == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
// Counts a wrong try on a live code (never recreates an expired key); the last allowed try burns it.
const FAIL =
  "if redis.call('exists', KEYS[1]) == 1 then if redis.call('hincrby', KEYS[1], 'n', 1) >= tonumber(ARGV[1]) then redis.call('del', KEYS[1]) end end return 0";

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function digest(store: CodeStore, email: string, code: string): string {
  return createHmac('sha256', store.secret).update(`${email}:${code}`).digest('hex');
}

/** A fresh code for the email, or null while the previous one is under its 60 s cooldown. */
export async function issueCode(store: CodeStore, rawEmail: string): Promise<string | null> {
  const email = normalizeEmail(rawEmail);
  const fresh = await store.redis.set(
    store.keys.verifyCooldown(email),
    '1',
    'EX',
    CODE_COOLDOWN_SECONDS,
    'NX',
  );
  if (fresh !== 'OK') return null;
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const key = store.keys.verifyCode(email);
  await store.redis
    .multi()
    .del(key)
    .hset(key, { h: digest(store, email, code), n: 0 })
    .expire(key, CODE_TTL_SECONDS)
    .exec();
  return code;
}

/** Forgets the code and the cooldown (the mail could not be sent). */
export async function revokeCode(store: CodeStore, rawEmail: string): Promise<void> {
  const email = normalizeEmail(rawEmail);
  await store.redis.del(store.keys.verifyCode(email), store.keys.verifyCooldown(email));
}

/** True once per issued code when it matches; wrong, expired or used codes are false. */
export async function consumeCode(store: CodeStore, rawEmail: string, code: string): Promise<boolean> {
  const email = normalizeEmail(rawEmail);
  const key = store.keys.verifyCode(email);
  const stored = await store.redis.hget(key, 'h');
  if (!stored) return false;
  if (!/^\d{6}$/.test(code) || !secretsEqual(stored, digest(store, email, code))) {
    await store.redis.eval(FAIL, 1, key, CODE_MAX_ATTEMPTS);
    return false;
  }
  return (await store.redis.eval(CONSUME, 1, key, stored)) === 1;
}
