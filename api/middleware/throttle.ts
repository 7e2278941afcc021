// Per-IP throttles (CHATNIO-API.md section 1): web paths get a sliding-window request limit
// per rule and IP, answered 429 `request_throttled`; an IP that sent too many bad `sk-` keys
// is refused before any key lookup. Both live in Redis, so every api process agrees.
import type { Context, Middleware } from 'koa';
import { blockedFor, countFailure, type FailureRule } from '../../shared/limits/failure-block.js';
import { retryAfterSeconds } from '../../shared/limits/duration.js';
import { hitSlidingLog, type LimitResult } from '../../shared/limits/sliding-log.js';
import type { ApiContext } from '../context.js';
import { isUnder } from './canonical-path.js';
import { isRelayPath } from './errors.js';

export interface ThrottleRule {
  /** Matches this path and everything below it (`/conversation` covers `/conversation/list`). */
  path: string;
  windowSeconds: number;
  max: number;
}

export const WEB_THROTTLES: readonly ThrottleRule[] = [
  { path: '/login', windowSeconds: 10, max: 20 },
  { path: '/register', windowSeconds: 120, max: 10 },
  { path: '/verify', windowSeconds: 120, max: 10 },
  { path: '/reset', windowSeconds: 120, max: 10 },
  { path: '/apikey', windowSeconds: 1, max: 2 },
  { path: '/package', windowSeconds: 1, max: 2 },
  { path: '/quota', windowSeconds: 1, max: 2 },
  { path: '/buy', windowSeconds: 1, max: 2 },
  { path: '/subscribe', windowSeconds: 1, max: 2 },
  { path: '/subscription', windowSeconds: 1, max: 2 },
  { path: '/resetkey', windowSeconds: 3600, max: 3 },
  { path: '/chat', windowSeconds: 1, max: 5 },
  { path: '/conversation', windowSeconds: 1, max: 5 },
  { path: '/dashboard', windowSeconds: 1, max: 5 },
  { path: '/invite', windowSeconds: 7200, max: 20 },
  { path: '/redeem', windowSeconds: 1200, max: 60 },
  { path: '/broadcast', windowSeconds: 1, max: 2 },
];

/** The rule for a path: the path itself or a sub-path (so `/reset` never matches `/resetkey`). */
export function matchThrottle(
  path: string,
  rules: readonly ThrottleRule[] = WEB_THROTTLES,
): ThrottleRule | undefined {
  return rules.find((rule) => isUnder(path, rule.path));
}

/**
 * Counts one request of `ip` on `path` against its rule: null when no rule applies. Also for
 * paths that bypass Koa (the /chat WebSocket upgrade).
 */
export async function hitThrottle(
  context: ApiContext,
  path: string,
  ip: string,
  rules: readonly ThrottleRule[] = WEB_THROTTLES,
): Promise<LimitResult | null> {
  const rule = matchThrottle(path, rules);
  if (!rule) return null;
  return hitSlidingLog(
    context.redis,
    context.keys.throttle(rule.path, ip),
    rule.max,
    rule.windowSeconds * 1000,
  );
}

export function webThrottle(context: ApiContext, rules: readonly ThrottleRule[] = WEB_THROTTLES): Middleware {
  return async function webThrottleMiddleware(ctx, next) {
    const result = await hitThrottle(context, ctx.path, ctx.ip, rules);
    if (result && !result.allowed) {
      ctx.status = 429;
      ctx.set('retry-after', String(retryAfterSeconds(result.resetMs)));
      ctx.body = {
        status: false,
        reason: 'You have sent too many requests. Please try again later.',
        error: 'request_throttled',
      };
      return;
    }
    await next();
  };
}

/** The bad `sk-` key block, hooked into authentication. */
export interface BadKeyGuard {
  /** Answers 429 and returns true when the client IP is blocked (call before looking the key up). */
  refuseIfBlocked(ctx: Context): Promise<boolean>;
  /**
   * The same from this process's memory only (no Redis round trip), for keys already known
   * valid: it knows every block it created or saw while checking an unknown key from that IP.
   */
  refuseIfKnownBlocked(ctx: Context): boolean;
  /** Counts one bad key from the client IP. */
  countBadKey(ctx: Context): Promise<void>;
}

export function badKeyGuard(context: ApiContext, rule?: FailureRule): BadKeyGuard {
  const keysOf = (ctx: Context) => ({
    log: context.keys.badKeys(ctx.ip),
    block: context.keys.badKeyBlock(ctx.ip),
  });
  const known = new Map<string, number>();
  const remember = (ip: string, blockedMs: number) => {
    if (known.size > 10_000) known.clear();
    known.set(ip, Date.now() + blockedMs);
  };
  const refuse = (ctx: Context, blockedMs: number) => {
    const message =
      'Too many requests with an incorrect API key from your IP address. Please try again later.';
    ctx.status = 429;
    ctx.set('retry-after', String(retryAfterSeconds(blockedMs)));
    ctx.body = isRelayPath(ctx.path)
      ? { error: { message, type: 'invalid_request_error', param: null, code: 'ip_blocked' } }
      : { status: false, error: message, code: 'ip_blocked' };
    return true;
  };
  return {
    async refuseIfBlocked(ctx) {
      const blockedMs = await blockedFor(context.redis, keysOf(ctx));
      if (blockedMs <= 0) return false;
      remember(ctx.ip, blockedMs);
      return refuse(ctx, blockedMs);
    },
    refuseIfKnownBlocked(ctx) {
      const until = known.get(ctx.ip);
      if (until === undefined) return false;
      if (until <= Date.now()) {
        known.delete(ctx.ip);
        return false;
      }
      return refuse(ctx, until - Date.now());
    },
    async countBadKey(ctx) {
      const { blockedMs } = await countFailure(context.redis, keysOf(ctx), rule);
      if (blockedMs > 0) {
        remember(ctx.ip, blockedMs);
        ctx.state.log?.warn({ ip: ctx.ip }, 'too many bad API keys: IP blocked');
      }
    },
  };
}
