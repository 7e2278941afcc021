// The Redis limiters against the real Redis, each test on its own keys under the run's prefix:
// sliding log, token window, concurrency gate and leases, failure block, relay admission.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { testEnvironment } from '../../test/support/environment.js';
import { createRedis } from '../redis.js';
import { redisKeys } from '../redis-keys.js';
import { acquireSlot, LeaseKeeper, releaseSlot, renewSlots } from './concurrency.js';
import { blockedFor, countFailure } from './failure-block.js';
import { admitRelay, recordRelayTokens } from './relay-admission.js';
import { hitSlidingLog } from './sliding-log.js';
import { checkTokenWindow, recordTokenWindow } from './token-window.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('limits: Redis limiters', () => {
  let redis: Redis;
  const key = (label: string) => `${testEnvironment.REDIS_PREFIX}:limits-unit:${label}:${randomUUID()}`;

  before(() => {
    redis = createRedis('limits-test');
  });

  after(async () => {
    await redis.quit();
  });

  describe('sliding log', () => {
    it('accepts up to the limit, refuses the rest without counting them, and says when a slot frees', async () => {
      const log = key('log');
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await hitSlidingLog(redis, log, 3, 60_000));
      assert.deepEqual(
        results.map((r) => [r.allowed, r.remaining]),
        [
          [true, 2],
          [true, 1],
          [true, 0],
          [false, 0],
          [false, 0],
        ],
      );
      assert.equal(await redis.zcard(log), 3, 'refused requests are not logged');
      for (const result of results) {
        assert.equal(result.limit, 3);
        assert.ok(result.resetMs > 0 && result.resetMs <= 60_000, String(result.resetMs));
      }
      const ttl = await redis.pttl(log);
      assert.ok(ttl > 0 && ttl <= 60_000);
    });

    it('is atomic under concurrent callers', async () => {
      const log = key('log-race');
      const results = await Promise.all(
        Array.from({ length: 50 }, () => hitSlidingLog(redis, log, 20, 60_000)),
      );
      assert.equal(results.filter((r) => r.allowed).length, 20);
    });

    it('slides: entries older than the window stop counting', async () => {
      const log = key('log-slide');
      assert.equal((await hitSlidingLog(redis, log, 1, 300)).allowed, true);
      assert.equal((await hitSlidingLog(redis, log, 1, 300)).allowed, false);
      await sleep(350);
      assert.equal((await hitSlidingLog(redis, log, 1, 300)).allowed, true);
    });
  });

  describe('token window', () => {
    it('allows while used < limit, records after the fact, and frees usage as it ages out', async () => {
      const keys = { log: key('tokens'), sum: key('tokens-sum') };
      assert.deepEqual(await checkTokenWindow(redis, keys, 100, 60_000), {
        allowed: true,
        limit: 100,
        remaining: 100,
        resetMs: 0,
        used: 0,
      });
      assert.equal(await recordTokenWindow(redis, keys, 60, 60_000), 60);
      const partly = await checkTokenWindow(redis, keys, 100, 60_000);
      assert.equal(partly.allowed, true);
      assert.equal(partly.remaining, 40);
      assert.equal(await recordTokenWindow(redis, keys, 70, 60_000), 130, 'one request may overshoot');
      const over = await checkTokenWindow(redis, keys, 100, 60_000);
      assert.equal(over.allowed, false);
      assert.equal(over.remaining, 0);
      assert.equal(over.used, 130);
      assert.ok(over.resetMs > 0 && over.resetMs <= 60_000);
    });

    it('subtracts exactly what leaves the window', async () => {
      const keys = { log: key('tokens-slide'), sum: key('tokens-slide-sum') };
      await recordTokenWindow(redis, keys, 30, 300);
      await sleep(350);
      await recordTokenWindow(redis, keys, 5, 60_000);
      const check = await checkTokenWindow(redis, keys, 10, 300);
      assert.equal(check.used, 5, 'the 30 tokens left the window; the 5 did not yet');
      assert.equal(await redis.zcard(keys.log), 1);
    });

    it('counts a request recorded twice (same id) once', async () => {
      const keys = { log: key('tokens-twice'), sum: key('tokens-twice-sum') };
      assert.equal(await recordTokenWindow(redis, keys, 9, 60_000, 'request-1'), 9);
      assert.equal(await recordTokenWindow(redis, keys, 9, 60_000, 'request-1'), 9);
      assert.equal(await recordTokenWindow(redis, keys, 4, 60_000, 'request-2'), 13);
    });

    it('recounts from the log when the sum key is lost', async () => {
      const keys = { log: key('tokens-lost'), sum: key('tokens-lost-sum') };
      await recordTokenWindow(redis, keys, 12, 60_000);
      await recordTokenWindow(redis, keys, 8, 60_000);
      await redis.del(keys.sum);
      assert.equal((await checkTokenWindow(redis, keys, 100, 60_000)).used, 20);
      assert.equal(Number(await redis.get(keys.sum)), 20);
    });

    it('reports when enough usage leaves the window to be under the limit', async () => {
      const keys = { log: key('tokens-reset'), sum: key('tokens-reset-sum') };
      await recordTokenWindow(redis, keys, 50, 60_000, 'first');
      await sleep(20);
      await recordTokenWindow(redis, keys, 50, 60_000, 'second');
      const check = await checkTokenWindow(redis, keys, 60, 60_000);
      assert.equal(check.allowed, false);
      const first = Number(await redis.zscore(keys.log, 'first:50'));
      const second = Number(await redis.zscore(keys.log, 'second:50'));
      assert.ok(second > first);
      // The first entry leaving is enough (100 - 50 < 60): reset is its exit, before the second's.
      assert.ok(check.resetMs <= 60_000 - (second - first), `${check.resetMs}`);
    });
  });

  describe('concurrency gate', () => {
    it('holds at most limit slots; release frees one', async () => {
      const gate = key('gate');
      assert.equal((await acquireSlot(redis, gate, 2, 'a', 60_000)).allowed, true);
      const second = await acquireSlot(redis, gate, 2, 'b', 60_000);
      assert.deepEqual(second, { allowed: true, limit: 2, remaining: 0, inFlight: 2 });
      assert.equal((await acquireSlot(redis, gate, 2, 'c', 60_000)).allowed, false);
      await releaseSlot(redis, { key: gate, member: 'a' });
      assert.equal((await acquireSlot(redis, gate, 2, 'c', 60_000)).allowed, true);
    });

    it('lets slots of a dead process lapse after their ttl', async () => {
      const gate = key('gate-lapse');
      assert.equal((await acquireSlot(redis, gate, 1, 'crashed', 300)).allowed, true);
      assert.equal((await acquireSlot(redis, gate, 1, 'next', 60_000)).allowed, false);
      await sleep(350);
      assert.equal((await acquireSlot(redis, gate, 1, 'next', 60_000)).allowed, true);
    });

    it('renews live leases only', async () => {
      const gate = key('gate-renew');
      await acquireSlot(redis, gate, 5, 'live', 1000);
      const before = Number(await redis.zscore(gate, 'live'));
      await sleep(5);
      assert.equal(
        await renewSlots(
          redis,
          [
            { key: gate, member: 'live' },
            { key: gate, member: 'gone' },
          ],
          60_000,
        ),
        1,
      );
      assert.ok(Number(await redis.zscore(gate, 'live')) > before + 50_000);
      assert.equal(await redis.zscore(gate, 'gone'), null, 'a released lease is not revived');
    });

    it('LeaseKeeper renews what it holds and releases once', async () => {
      const gate = key('gate-keeper');
      const keeper = new LeaseKeeper(redis, 60_000);
      await acquireSlot(redis, gate, 1, 'r1', 60_000);
      keeper.hold({ key: gate, member: 'r1' });
      assert.equal(await keeper.renew(), 1);
      await keeper.release({ key: gate, member: 'r1' });
      await keeper.release({ key: gate, member: 'r1' });
      assert.equal(keeper.size, 0);
      assert.equal(await redis.zcard(gate), 0);
      keeper.stop();
    });
  });

  describe('failure block', () => {
    it('blocks after more than max failures, for blockMs', async () => {
      const keys = { log: key('fail'), block: key('block') };
      const rule = { max: 3, windowMs: 60_000, blockMs: 30_000 };
      for (let i = 1; i <= 3; i++)
        assert.deepEqual(await countFailure(redis, keys, rule), { failures: i, blockedMs: 0 });
      assert.equal(await blockedFor(redis, keys), 0);
      assert.deepEqual(await countFailure(redis, keys, rule), { failures: 4, blockedMs: 30_000 });
      const blocked = await blockedFor(redis, keys);
      assert.ok(blocked > 0 && blocked <= 30_000);
      for (let i = 0; i < 5; i++) await countFailure(redis, keys, rule);
      assert.equal(await redis.zcard(keys.log), 4, 'the log keeps at most max + 1 entries');
    });

    it('forgets failures older than the window', async () => {
      const keys = { log: key('fail-slide'), block: key('block-slide') };
      const rule = { max: 1, windowMs: 40, blockMs: 1000 };
      await countFailure(redis, keys, rule);
      await sleep(70);
      assert.deepEqual(await countFailure(redis, keys, rule), { failures: 1, blockedMs: 0 });
    });
  });

  describe('relay admission', () => {
    const keys = redisKeys(`${testEnvironment.REDIS_PREFIX}:limits-unit`);
    const subject = () => `key:${randomUUID()}`;

    it('skips every limit that is 0', async () => {
      const admission = await admitRelay(
        redis,
        keys,
        subject(),
        { rpm: 0, tpm: 0, concurrency: 0 },
        'm',
        1000,
      );
      assert.deepEqual(admission, { verdict: 'ok', requests: null, tokens: null });
    });

    it('takes nothing unless every limit passes', async () => {
      const who = subject();
      const limits = { rpm: 5, tpm: 0, concurrency: 1 };
      const first = await admitRelay(redis, keys, who, limits, 'r1', 60_000);
      assert.equal(first.verdict, 'ok');
      assert.deepEqual(first.requests && [first.requests.limit, first.requests.remaining], [5, 4]);
      const second = await admitRelay(redis, keys, who, limits, 'r2', 60_000);
      assert.equal(second.verdict, 'concurrency');
      assert.equal(second.requests?.remaining, 4, 'a refused request does not count');
      await releaseSlot(redis, { key: keys.relayLimit(who, 'in-flight'), member: 'r1' });
      assert.equal((await admitRelay(redis, keys, who, limits, 'r3', 60_000)).verdict, 'ok');
    });

    it('refuses on requests, then on tokens once usage is recorded', async () => {
      const who = subject();
      const one = { rpm: 1, tpm: 0, concurrency: 0 };
      assert.equal((await admitRelay(redis, keys, who, one, 'a', 1000)).verdict, 'ok');
      const refused = await admitRelay(redis, keys, who, one, 'b', 1000);
      assert.equal(refused.verdict, 'requests');
      assert.ok(refused.requests && refused.requests.resetMs > 0 && refused.requests.resetMs <= 60_000);

      const tokensOnly = { rpm: 0, tpm: 100, concurrency: 0 };
      const fresh = subject();
      const open = await admitRelay(redis, keys, fresh, tokensOnly, 'c', 1000);
      assert.deepEqual(open.tokens, { limit: 100, remaining: 100, resetMs: 0 });
      assert.equal(await recordRelayTokens(redis, keys, fresh, 150), 150);
      const full = await admitRelay(redis, keys, fresh, tokensOnly, 'd', 1000);
      assert.equal(full.verdict, 'tokens');
      assert.equal(full.tokens?.remaining, 0);
      assert.ok(full.tokens && full.tokens.resetMs > 0);
    });
  });
});
