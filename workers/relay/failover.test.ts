// Unit tests for runWithFailover: every upstream error class, retry bounds, waits and summaries
// (clientFacingError is covered in client-facing-error.test.ts).
import assert from 'node:assert/strict';
import { GatewayError } from '../../shared/errors.js';
import {
  CancelledError,
  UpstreamError,
  type UpstreamErrorKind,
} from '../../shared/providers/upstream-error.js';
import { type FailoverChannel, type FailoverOptions, runWithFailover } from './failover.js';

type Outcome = 'ok' | Error;

interface Harness {
  calls: string[];
  waits: number[];
  failures: string[];
  options: FailoverOptions<FailoverChannel>;
}

const ch = (name: string, retry = 1, id = name.charCodeAt(0)): FailoverChannel => ({ id, name, retry });
const up = (kind: UpstreamErrorKind, status: number | null = null, retryAfterMs: number | null = null) =>
  new UpstreamError(kind, `${kind} failure`, status, retryAfterMs);

/** Scripts per channel: the n-th attempt on a channel yields script[n-1] (the last entry repeats). */
function harness(
  candidates: FailoverChannel[],
  scripts: Record<string, Outcome[]>,
  extra: Partial<FailoverOptions<FailoverChannel>> = {},
): Harness {
  const calls: string[] = [];
  const waits: number[] = [];
  const failures: string[] = [];
  const options: FailoverOptions<FailoverChannel> = {
    candidates,
    attempt: async (channel, attemptNumber) => {
      calls.push(`${channel.name}#${attemptNumber}`);
      const script = scripts[channel.name] ?? ['ok'];
      const outcome = script[Math.min(attemptNumber, script.length) - 1];
      if (outcome !== 'ok') throw outcome;
    },
    hasOutput: () => false,
    signal: new AbortController().signal,
    maxRateLimitWaitMs: 5000,
    sleep: async (ms) => {
      waits.push(ms);
    },
    onFailure: (channel, error, attemptNumber) =>
      failures.push(`${channel.name}#${attemptNumber}:${error.kind}`),
    ...extra,
  };
  return { calls, waits, failures, options };
}

async function rejectsGateway(promise: Promise<unknown>, status: number, code: string | null, type?: string) {
  const error = await promise.then(
    () => assert.fail('expected a GatewayError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof GatewayError, `got ${String(error)}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  if (type) assert.equal(error.type, type);
  return error;
}

describe('relay/failover', () => {
  describe('runWithFailover', () => {
    it('returns the first channel that succeeds', async () => {
      const h = harness([ch('a'), ch('b')], {});
      const winner = await runWithFailover(h.options);
      assert.equal(winner.name, 'a');
      assert.deepEqual(h.calls, ['a#1']);
      assert.deepEqual(h.failures, []);
    });

    for (const status of [400, 413, 422]) {
      it(`stops at once on a client error (${status}) with that status`, async () => {
        const h = harness([ch('a', 3), ch('b', 3)], { a: [up('client', status)] });
        const error = await rejectsGateway(
          runWithFailover(h.options),
          status,
          'upstream_rejected_request',
          'invalid_request_error',
        );
        assert.equal(error.message, 'client failure');
        assert.deepEqual(h.calls, ['a#1']);
        assert.deepEqual(h.failures, ['a#1:client']);
        assert.deepEqual(h.waits, []);
      });
    }

    it('waits Retry-After on 429 and retries the same channel', async () => {
      const h = harness([ch('a', 3), ch('b')], { a: [up('rate_limit', 429, 1200), 'ok'] });
      const winner = await runWithFailover(h.options);
      assert.equal(winner.name, 'a');
      assert.deepEqual(h.calls, ['a#1', 'a#2']);
      assert.deepEqual(h.waits, [1200]);
    });

    it('waits 500 ms on 429 without Retry-After', async () => {
      const h = harness([ch('a', 1)], { a: [up('rate_limit', 429), 'ok'] });
      await runWithFailover(h.options);
      assert.deepEqual(h.calls, ['a#1', 'a#2']);
      assert.deepEqual(h.waits, [500]);
    });

    it('gives a retry=1 channel 2 attempts on 429, then moves on', async () => {
      const h = harness([ch('a', 1), ch('b', 1)], { a: [up('rate_limit', 429, 100)] });
      const winner = await runWithFailover(h.options);
      assert.equal(winner.name, 'b');
      assert.deepEqual(h.calls, ['a#1', 'a#2', 'b#1']);
      assert.deepEqual(h.waits, [100]);
    });

    it('gives a channel max(retry, 2) attempts on repeated 429', async () => {
      const h = harness([ch('a', 4), ch('b', 1)], { a: [up('rate_limit', 429, 10)] });
      await runWithFailover(h.options);
      assert.deepEqual(h.calls, ['a#1', 'a#2', 'a#3', 'a#4', 'b#1']);
      assert.deepEqual(h.waits, [10, 10, 10]);
    });

    it('moves on without waiting when Retry-After exceeds maxRateLimitWaitMs', async () => {
      const h = harness(
        [ch('a', 3), ch('b')],
        { a: [up('rate_limit', 429, 60_000)] },
        { maxRateLimitWaitMs: 5000 },
      );
      const winner = await runWithFailover(h.options);
      assert.equal(winner.name, 'b');
      assert.deepEqual(h.calls, ['a#1', 'b#1']);
      assert.deepEqual(h.waits, []);
    });

    it('waits exactly maxRateLimitWaitMs when Retry-After equals it', async () => {
      const h = harness(
        [ch('a', 2)],
        { a: [up('rate_limit', 429, 5000), 'ok'] },
        { maxRateLimitWaitMs: 5000 },
      );
      await runWithFailover(h.options);
      assert.deepEqual(h.waits, [5000]);
    });

    for (const kind of ['server', 'network', 'timeout'] as const) {
      it(`retries the same channel on ${kind} up to its retry count, then moves on`, async () => {
        const h = harness([ch('a', 3), ch('b', 2), ch('c', 1)], {
          a: [up(kind, 503)],
          b: [up(kind, 502), 'ok'],
        });
        const winner = await runWithFailover(h.options);
        assert.equal(winner.name, 'b');
        assert.deepEqual(h.calls, ['a#1', 'a#2', 'a#3', 'b#1', 'b#2']);
        assert.deepEqual(h.waits, []);
        assert.deepEqual(h.failures, [`a#1:${kind}`, `a#2:${kind}`, `a#3:${kind}`, `b#1:${kind}`]);
      });
    }

    it('recovers on the same channel when a retry succeeds', async () => {
      const h = harness([ch('a', 2), ch('b')], { a: [up('server', 500), 'ok'] });
      assert.equal((await runWithFailover(h.options)).name, 'a');
      assert.deepEqual(h.calls, ['a#1', 'a#2']);
    });

    for (const status of [401, 403, 404]) {
      it(`moves on immediately on auth (${status}) without retrying the channel`, async () => {
        const h = harness([ch('a', 5), ch('b', 5)], { a: [up('auth', status)] });
        const winner = await runWithFailover(h.options);
        assert.equal(winner.name, 'b');
        assert.deepEqual(h.calls, ['a#1', 'b#1']);
        assert.deepEqual(h.failures, ['a#1:auth']);
      });
    }

    it('never tries a failed channel again in the same request', async () => {
      const h = harness([ch('a', 2), ch('b', 1), ch('c', 2)], {
        a: [up('server', 500)],
        b: [up('auth', 401)],
        c: [up('network')],
      });
      await rejectsGateway(runWithFailover(h.options), 502, 'upstream_failed');
      assert.deepEqual(h.calls, ['a#1', 'a#2', 'b#1', 'c#1', 'c#2']);
    });

    it('walks mixed failures in the exact order', async () => {
      const h = harness([ch('a', 2), ch('b', 1), ch('c', 3), ch('d')], {
        a: [up('network'), up('timeout')],
        b: [up('rate_limit', 429, 20), up('server', 500)],
        c: [up('auth', 403)],
      });
      const winner = await runWithFailover(h.options);
      assert.equal(winner.name, 'd');
      assert.deepEqual(h.calls, ['a#1', 'a#2', 'b#1', 'b#2', 'c#1', 'd#1']);
      assert.deepEqual(h.waits, [20]);
      assert.deepEqual(h.failures, [
        'a#1:network',
        'a#2:timeout',
        'b#1:rate_limit',
        'b#2:server',
        'c#1:auth',
      ]);
    });

    it('throws 502 upstream_failed naming the last error when every channel fails', async () => {
      const h = harness([ch('a', 1), ch('b', 1)], { a: [up('timeout')], b: [up('server', 503)] });
      const error = await rejectsGateway(
        runWithFailover(h.options),
        502,
        'upstream_failed',
        'upstream_error',
      );
      assert.match(error.message, /2 attempt\(s\)/);
      assert.match(error.message, /HTTP 503/);
      assert.match(error.message, /server failure/);
      assert.equal(error.retryable, true);
    });

    it('throws 504 upstream_timeout when every failure was a timeout', async () => {
      const h = harness([ch('a', 2), ch('b', 1)], { a: [up('timeout')], b: [up('timeout', 408)] });
      await rejectsGateway(runWithFailover(h.options), 504, 'upstream_timeout', 'upstream_error');
      assert.deepEqual(h.calls, ['a#1', 'a#2', 'b#1']);
    });

    it('throws 502 when there are no candidates', async () => {
      const h = harness([], {});
      const error = await rejectsGateway(runWithFailover(h.options), 502, 'upstream_failed');
      assert.match(error.message, /no channel could be tried/);
      assert.deepEqual(h.calls, []);
    });

    it('does not retry once output reached the client', async () => {
      const h = harness([ch('a', 3), ch('b')], { a: [up('network')] }, { hasOutput: () => true });
      await rejectsGateway(runWithFailover(h.options), 502, 'upstream_failed');
      assert.deepEqual(h.calls, ['a#1']);
      assert.deepEqual(h.failures, ['a#1:network']);
    });

    it('maps a timeout after output to 504 and a 429 after output to 502 without waiting', async () => {
      const t = harness([ch('a', 3)], { a: [up('timeout')] }, { hasOutput: () => true });
      await rejectsGateway(runWithFailover(t.options), 504, 'upstream_timeout');
      const r = harness([ch('a', 3), ch('b')], { a: [up('rate_limit', 429, 10)] }, { hasOutput: () => true });
      await rejectsGateway(runWithFailover(r.options), 502, 'upstream_failed');
      assert.deepEqual(r.calls, ['a#1']);
      assert.deepEqual(r.waits, []);
    });

    it('throws CancelledError when the attempt is cancelled', async () => {
      const h = harness([ch('a', 3), ch('b')], { a: [new CancelledError()] });
      await assert.rejects(runWithFailover(h.options), CancelledError);
      assert.deepEqual(h.calls, ['a#1']);
      assert.deepEqual(h.failures, []);
    });

    it('throws CancelledError when the signal is aborted, whatever the attempt threw', async () => {
      const controller = new AbortController();
      const h = harness([ch('a', 3), ch('b')], {}, { signal: controller.signal });
      h.options.attempt = async (channel, n) => {
        h.calls.push(`${channel.name}#${n}`);
        controller.abort();
        throw up('server', 500);
      };
      await assert.rejects(runWithFailover(h.options), CancelledError);
      assert.deepEqual(h.calls, ['a#1']);
      assert.deepEqual(h.failures, []);
    });

    it('propagates a CancelledError from the rate-limit wait', async () => {
      const h = harness([ch('a', 3), ch('b')], { a: [up('rate_limit', 429, 100)] });
      h.options.sleep = async () => {
        throw new CancelledError();
      };
      await assert.rejects(runWithFailover(h.options), CancelledError);
      assert.deepEqual(h.calls, ['a#1']);
    });

    it('aborts the default sleep when the signal is aborted during a 429 wait', async () => {
      const controller = new AbortController();
      const h = harness(
        [ch('a', 3), ch('b')],
        { a: [up('rate_limit', 429, 4000)] },
        { signal: controller.signal },
      );
      delete h.options.sleep;
      const run = runWithFailover(h.options);
      setImmediate(() => controller.abort());
      await assert.rejects(run, CancelledError);
      assert.deepEqual(h.calls, ['a#1']);
    });

    it('propagates a non-upstream error unchanged', async () => {
      const boom = new TypeError('bug in adapter');
      const h = harness([ch('a', 3), ch('b')], { a: [boom] });
      await assert.rejects(runWithFailover(h.options), (error) => error === boom);
      assert.deepEqual(h.calls, ['a#1']);
      assert.deepEqual(h.failures, []);
    });

    it('calls onFailure once per failed attempt with the attempt number', async () => {
      const seen: [string, UpstreamError, number][] = [];
      const errs = [up('server', 500), up('network'), up('auth', 401)];
      const h = harness([ch('a', 2), ch('b', 2), ch('c')], { a: [errs[0], errs[1]], b: [errs[2]] });
      h.options.onFailure = (channel, error, n) => seen.push([channel.name, error, n]);
      await runWithFailover(h.options);
      assert.deepEqual(seen, [
        ['a', errs[0], 1],
        ['a', errs[1], 2],
        ['b', errs[2], 1],
      ]);
    });

    it('works without onFailure', async () => {
      const h = harness([ch('a'), ch('b')], { a: [up('server', 500)] }, { onFailure: undefined });
      assert.equal((await runWithFailover(h.options)).name, 'b');
    });
  });
});
