// Channel failover inside one relay job (DESIGN.md section 3): candidates in order, each
// with its own retry count, never retried once failed in this request; error classes
// decide whether to stop, wait and retry, retry, or move on.
import { errors, GatewayError } from '../../shared/errors.js';
import { CancelledError, UpstreamError } from '../../shared/providers/upstream-error.js';

export interface FailoverChannel {
  id: number;
  name: string;
  retry: number;
}

export interface FailoverOptions<C extends FailoverChannel> {
  candidates: C[];
  /** One call to one channel; throws UpstreamError or CancelledError. */
  attempt: (channel: C, attemptNumber: number) => Promise<void>;
  /** True once output reached the client: from then on nothing may be retried. */
  hasOutput: () => boolean;
  signal: AbortSignal;
  maxRateLimitWaitMs: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onFailure?: (channel: C, error: UpstreamError, attemptNumber: number) => void;
}

const DEFAULT_RATE_LIMIT_WAIT_MS = 500;
/** A 429 gives a channel at least this many attempts, whatever its retry count. */
const MIN_RATE_LIMIT_ATTEMPTS = 2;

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a client sees for an upstream failure it cannot be protected from. */
export function clientFacingError(error: UpstreamError): GatewayError {
  if (error.kind === 'client') {
    return new GatewayError(error.message, {
      status: error.status && error.status >= 400 && error.status < 500 ? error.status : 400,
      type: 'invalid_request_error',
      code: 'upstream_rejected_request',
    });
  }
  if (error.kind === 'timeout') return errors.upstreamTimeout();
  return errors.allChannelsFailed(error.message);
}

/** Runs attempts until one succeeds; returns the channel that answered. */
export async function runWithFailover<C extends FailoverChannel>(options: FailoverOptions<C>): Promise<C> {
  const wait = options.sleep ?? sleep;
  const failures: UpstreamError[] = [];
  for (const channel of options.candidates) {
    const maxAttempts = Math.max(channel.retry, 1);
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        await options.attempt(channel, attemptNumber);
        return channel;
      } catch (error) {
        if (error instanceof CancelledError || options.signal.aborted) throw new CancelledError();
        if (!(error instanceof UpstreamError)) throw error;
        options.onFailure?.(channel, error, attemptNumber);
        if (options.hasOutput() || error.kind === 'client') throw clientFacingError(error);
        failures.push(error);
        if (error.kind === 'auth') break;
        if (error.kind === 'rate_limit') {
          const delay = error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
          if (
            attemptNumber >= Math.max(maxAttempts, MIN_RATE_LIMIT_ATTEMPTS) ||
            delay > options.maxRateLimitWaitMs
          )
            break;
          await wait(delay, options.signal);
          continue;
        }
        if (attemptNumber >= maxAttempts) break;
      }
    }
  }
  throw summarize(failures);
}

function summarize(failures: UpstreamError[]): GatewayError {
  if (failures.length === 0) return errors.allChannelsFailed('no channel could be tried');
  if (failures.every((failure) => failure.kind === 'timeout')) return errors.upstreamTimeout();
  const last = failures[failures.length - 1];
  const detail = last.status ? `last error HTTP ${last.status}: ${last.message}` : last.message;
  return errors.allChannelsFailed(`${failures.length} attempt(s); ${detail}`);
}
