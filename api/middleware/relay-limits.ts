// Relay limits per API key (per user for callers without one): requests and tokens per
// minute and concurrent requests, from settings.limits or the user's override. Runs after
// authentication and before validation, so malformed requests count too.
import type { Context, Middleware } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import { LeaseKeeper, type Lease } from '../../shared/limits/concurrency.js';
import { formatResetDuration, retryAfterSeconds } from '../../shared/limits/duration.js';
import {
  admitRelay,
  inFlightKey,
  limitSubject,
  type RelayAdmission,
  type RelayLimits,
} from '../../shared/limits/relay-admission.js';
import { effectiveLimits, loadUserLimit, type UserLimitOverride } from '../../shared/limits/user-limits.js';
import { logger } from '../../shared/log.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';

/** A slot lapses this long after its process stopped renewing it (renewed every third of it). */
export const LEASE_TTL_MS = 60_000;

/** Per-user overrides live as long as the cached identity: an 'auth' announcement drops both. */
function overrideCache(context: ApiContext) {
  const cache = new WeakMap<Identity, Promise<UserLimitOverride>>();
  return (identity: Identity): Promise<UserLimitOverride> => {
    let found = cache.get(identity);
    if (!found) {
      found = loadUserLimit(context.knex, identity.userId);
      found.catch(() => cache.delete(identity));
      cache.set(identity, found);
    }
    return found;
  };
}

export function relayLimits(context: ApiContext): Middleware {
  const leases = new LeaseKeeper(context.redis, LEASE_TTL_MS, (error) =>
    logger().warn({ err: error }, 'renewing relay concurrency leases failed'),
  );
  const overrideFor = overrideCache(context);

  return async function relayLimitsMiddleware(ctx, next) {
    const identity: Identity = ctx.state.identity;
    const limits = effectiveLimits(context.settings.get().limits, await overrideFor(identity));
    if (!limits.rpm && !limits.tpm && !limits.concurrency) return next();
    const subject = limitSubject(identity);
    const requestId: string = ctx.state.requestId;
    const lease: Lease | null =
      limits.concurrency > 0 ? { key: inFlightKey(context.keys, subject), member: requestId } : null;
    let ended = false;
    const release = () => {
      if (lease)
        leases.release(lease).catch((error) => ctx.state.log.warn({ err: error }, 'releasing a slot failed'));
    };
    // Ends with the response: finished, failed or abandoned by the client.
    ctx.res.once('close', () => {
      ended = true;
      release();
    });
    const admission = await admitRelay(context.redis, context.keys, subject, limits, requestId, LEASE_TTL_MS);
    setRateLimitHeaders(ctx, admission);
    if (admission.verdict !== 'ok') throw refusal(ctx, admission, limits);
    if (lease) {
      leases.hold(lease);
      if (ended) release();
    }
    // Tokens are recorded by the worker when it settles the request (streams and cancels too).
    await next();
  };
}

/** OpenAI's x-ratelimit-* headers; a limit that is unlimited (0) is left out. */
export function setRateLimitHeaders(ctx: Context, admission: RelayAdmission): void {
  if (admission.requests) {
    ctx.set('x-ratelimit-limit-requests', String(admission.requests.limit));
    ctx.set('x-ratelimit-remaining-requests', String(admission.requests.remaining));
    ctx.set('x-ratelimit-reset-requests', formatResetDuration(admission.requests.resetMs));
  }
  if (admission.tokens) {
    ctx.set('x-ratelimit-limit-tokens', String(admission.tokens.limit));
    ctx.set('x-ratelimit-remaining-tokens', String(admission.tokens.remaining));
    ctx.set('x-ratelimit-reset-tokens', formatResetDuration(admission.tokens.resetMs));
  }
}

function refusal(ctx: Context, admission: RelayAdmission, limits: RelayLimits): GatewayError {
  let message: string;
  let waitMs = 1000;
  if (admission.verdict === 'concurrency') {
    message = `Too many concurrent requests (limit ${limits.concurrency}). Please retry when one of your requests has finished.`;
  } else {
    const window = admission.verdict === 'tokens' ? admission.tokens : admission.requests;
    waitMs = window?.resetMs ?? waitMs;
    message = `Rate limit reached for ${admission.verdict} per minute (limit ${window?.limit}). Please try again in ${formatResetDuration(waitMs)}.`;
  }
  ctx.set('retry-after', String(retryAfterSeconds(waitMs)));
  return new GatewayError(message, {
    status: 429,
    type: admission.verdict === 'tokens' ? 'tokens' : 'requests',
    code: 'rate_limit_exceeded',
  });
}
