// Relay limits of one caller in one atomic Redis step: requests per minute (sliding log),
// tokens per minute (usage recorded as requests end) and concurrent requests (leases).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.js';
import { RELAY_ADMIT_LUA } from './lua.js';
import { defineScript } from './script.js';
import { recordTokenWindow, type TokenWindowKeys } from './token-window.js';

/** 0 = unlimited. */
export interface RelayLimits {
  rpm: number;
  tpm: number;
  concurrency: number;
}

export const RELAY_WINDOW_MS = 60_000;

export type RelayVerdict = 'ok' | 'requests' | 'tokens' | 'concurrency';

export interface RelayAdmission {
  verdict: RelayVerdict;
  requests: { limit: number; remaining: number; resetMs: number } | null;
  tokens: { limit: number; remaining: number; resetMs: number } | null;
}

const VERDICTS: RelayVerdict[] = ['ok', 'requests', 'tokens', 'concurrency'];

const admitScript = defineScript('relayAdmit', RELAY_ADMIT_LUA);

/**
 * Who a relay request counts against: its API key, or the user for callers without one.
 * A user has at most one key (kept across resets), so a JWT caller whose account has a key
 * shares that key's bucket rather than doubling the allowance.
 */
export function limitSubject(caller: { userId: number; apiKeyId: number | null }): string {
  return caller.apiKeyId != null ? `key:${caller.apiKeyId}` : `user:${caller.userId}`;
}

export function tokenWindowKeys(keys: RedisKeys, subject: string): TokenWindowKeys {
  return { log: keys.relayLimit(subject, 'tokens'), sum: keys.relayLimit(subject, 'tokens-sum') };
}

export function inFlightKey(keys: RedisKeys, subject: string): string {
  return keys.relayLimit(subject, 'in-flight');
}

/** Checks every limit and, only when all pass, counts the request and takes a slot (`member`). */
export async function admitRelay(
  redis: Redis,
  keys: RedisKeys,
  subject: string,
  limits: RelayLimits,
  member: string,
  leaseTtlMs: number,
  windowMs = RELAY_WINDOW_MS,
): Promise<RelayAdmission> {
  const tokens = tokenWindowKeys(keys, subject);
  const reply = await admitScript(
    redis,
    [keys.relayLimit(subject, 'requests'), tokens.log, tokens.sum, inFlightKey(keys, subject)],
    [limits.rpm, windowMs, limits.tpm, windowMs, limits.concurrency, leaseTtlMs, member],
  );
  const [verdict, rpm, rpmRemaining, rpmReset, tpm, tpmRemaining, tpmReset] = reply;
  return {
    verdict: VERDICTS[verdict] ?? 'ok',
    requests: rpm > 0 ? { limit: rpm, remaining: rpmRemaining, resetMs: rpmReset } : null,
    tokens: tpm > 0 ? { limit: tpm, remaining: tpmRemaining, resetMs: tpmReset } : null,
  };
}

/**
 * Adds the tokens (prompt + completion) of a finished request to its subject's window; the
 * next requests are refused while the last minute's total is at or over the tpm limit.
 */
export function recordRelayTokens(
  redis: Redis,
  keys: RedisKeys,
  subject: string,
  tokens: number,
  id: string = randomUUID(),
  windowMs = RELAY_WINDOW_MS,
): Promise<number> {
  return recordTokenWindow(redis, tokenWindowKeys(keys, subject), tokens, windowMs, id);
}
