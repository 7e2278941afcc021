// Relay limits per API key (per user for callers without one), without a transport: requests
// and tokens per minute and concurrent requests, from settings.limits or the user's
// override. A grant carries OpenAI's x-ratelimit-* headers and a release for the slot; a
// refusal is a 429 GatewayError carrying the same headers and Retry-After.
import { GatewayError } from '../../shared/errors.js';
import { type Lease, LeaseKeeper } from '../../shared/limits/concurrency.js';
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

export interface LimitGrant {
  headers: Record<string, string>;
  /** Gives the concurrency slot back (idempotent); call when the response has ended. */
  release(): void;
}

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

/** OpenAI's x-ratelimit-* headers; a limit that is unlimited (0) is left out. */
export function rateLimitHeaders(admission: RelayAdmission): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, window] of [
    ['requests', admission.requests],
    ['tokens', admission.tokens],
  ] as const) {
    if (!window) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(window.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(window.remaining);
    headers[`x-ratelimit-reset-${kind}`] = formatResetDuration(window.resetMs);
  }
  return headers;
}

function refusal(
  admission: RelayAdmission,
  limits: RelayLimits,
  headers: Record<string, string>,
): GatewayError {
  let message: string;
  let waitMs = 1000;
  if (admission.verdict === 'concurrency') {
    message = `Too many concurrent requests (limit ${limits.concurrency}). Please retry when one of your requests has finished.`;
  } else {
    const window = admission.verdict === 'tokens' ? admission.tokens : admission.requests;
    waitMs = window?.resetMs ?? waitMs;
    message = `Rate limit reached for ${admission.verdict} per minute (limit ${window?.limit}). Please try again in ${formatResetDuration(waitMs)}.`;
  }
  return new GatewayError(message, {
    status: 429,
    type: admission.verdict === 'tokens' ? 'tokens' : 'requests',
    code: 'rate_limit_exceeded',
    headers: { ...headers, 'retry-after': String(retryAfterSeconds(waitMs)) },
  });
}

const NOTHING_HELD: LimitGrant = { headers: {}, release: () => undefined };

export function relayLimiter(context: ApiContext) {
  const leases = new LeaseKeeper(context.redis, LEASE_TTL_MS, (error) =>
    logger().warn({ err: error }, 'renewing relay concurrency leases failed'),
  );
  const overrideFor = overrideCache(context);

  return async function admitLimits(identity: Identity, requestId: string): Promise<LimitGrant> {
    const limits = effectiveLimits(context.settings.get().limits, await overrideFor(identity));
    if (!limits.rpm && !limits.tpm && !limits.concurrency) return NOTHING_HELD;
    const subject = limitSubject(identity);
    const admission = await admitRelay(context.redis, context.keys, subject, limits, requestId, LEASE_TTL_MS);
    const headers = rateLimitHeaders(admission);
    if (admission.verdict !== 'ok') throw refusal(admission, limits, headers);
    // Tokens are recorded when the request is settled (streams and cancels too).
    if (limits.concurrency <= 0) return { headers, release: () => undefined };
    const lease: Lease = { key: inFlightKey(context.keys, subject), member: requestId };
    leases.hold(lease);
    let released = false;
    return {
      headers,
      release() {
        if (released) return;
        released = true;
        leases.release(lease).catch((error) => logger().warn({ err: error }, 'releasing a slot failed'));
      },
    };
  };
}
