// Unit tests for the subscription arithmetic: money in micro-points, discounts, proration,
// stretch, calendar months and usage periods.
import assert from 'node:assert/strict';
import {
  addMonths,
  currentPeriodStart,
  DAY_MS,
  daysUntil,
  discountPercent,
  nextPeriodStart,
  periodDate,
  planPurchase,
  type SubscriptionState,
  stretchRemaining,
  subscriptionAnchor,
  subscriptionPrice,
  upgradeCost,
  usagePeriod,
} from './subscription-math.js';
import { formatMicro, toMicro } from './money.js';

const utc = (text: string) => new Date(`${text}Z`);
const points = (micro: bigint) => formatMicro(micro);

describe('billing/subscription-math', () => {
  describe('micro-points', () => {
    it('parses decimal strings and numbers exactly', () => {
      assert.equal(toMicro('12.345678'), 12_345_678n);
      assert.equal(toMicro('0.1'), 100_000n);
      assert.equal(toMicro(0.1), 100_000n);
      assert.equal(toMicro('7'), 7_000_000n);
      assert.equal(toMicro('-1.5'), -1_500_000n);
      assert.equal(toMicro('1.0000005'), 1_000_001n, 'rounds half up beyond 6 places');
      assert.throws(() => toMicro('abc'));
    });

    it('formats with 6 places', () => {
      assert.equal(formatMicro(1_500_000n), '1.500000');
      assert.equal(formatMicro(1n), '0.000001');
      assert.equal(formatMicro(-2_000_001n), '-2.000001');
      assert.equal(formatMicro(0n), '0.000000');
    });
  });

  describe('prices', () => {
    it('discounts 10% from 6 months, 20% from 12, 30% from 36', () => {
      const expected: [number, number][] = [
        [1, 0],
        [5, 0],
        [6, 10],
        [11, 10],
        [12, 20],
        [35, 20],
        [36, 30],
        [999, 30],
      ];
      for (const [months, percent] of expected) assert.equal(discountPercent(months), percent, `${months}`);
    });

    it('prices months with the discount, exactly', () => {
      const monthly = toMicro('9.99');
      assert.equal(points(subscriptionPrice(monthly, 1)), '9.990000');
      assert.equal(points(subscriptionPrice(monthly, 5)), '49.950000');
      assert.equal(points(subscriptionPrice(monthly, 6)), '53.946000');
      assert.equal(points(subscriptionPrice(monthly, 11)), '98.901000');
      assert.equal(points(subscriptionPrice(monthly, 12)), '95.904000');
      assert.equal(points(subscriptionPrice(monthly, 35)), '279.720000');
      assert.equal(points(subscriptionPrice(monthly, 36)), '251.748000');
      assert.equal(subscriptionPrice(1n, 6), 6n, '5.4 micro-points round up');
      assert.equal(subscriptionPrice(0n, 12), 0n);
    });

    it('prorates an upgrade over 30-day months, rounded up', () => {
      const basic = toMicro('30');
      const pro = toMicro('90');
      assert.equal(points(upgradeCost(basic, pro, 15 * DAY_MS)), '30.000000');
      assert.equal(points(upgradeCost(basic, pro, 30 * DAY_MS)), '60.000000');
      assert.equal(
        points(upgradeCost(basic, pro, 1)),
        '0.000001',
        '60 points / 30 days for 1 ms, rounded up',
      );
      assert.equal(upgradeCost(pro, basic, 10 * DAY_MS), 0n, 'never negative');
      assert.equal(upgradeCost(basic, pro, -5), 0n);
    });

    it('stretches a downgrade by old / new price, never shortening', () => {
      assert.equal(stretchRemaining(toMicro('90'), toMicro('30'), 10 * DAY_MS), 30 * DAY_MS);
      assert.equal(stretchRemaining(toMicro('60'), toMicro('40'), 10 * DAY_MS), 15 * DAY_MS);
      assert.equal(stretchRemaining(toMicro('10'), toMicro('3'), 1000), 3333, 'rounded down to the ms');
      assert.equal(stretchRemaining(toMicro('30'), 0n, 5 * DAY_MS), 5 * DAY_MS, 'free target keeps the time');
      assert.equal(stretchRemaining(toMicro('30'), toMicro('40'), 5 * DAY_MS), 5 * DAY_MS, 'never shorter');
    });
  });

  describe('calendar months and periods', () => {
    it('adds months in UTC with the day clamped', () => {
      assert.equal(addMonths(utc('2026-01-31T10:00:00'), 1).toISOString(), '2026-02-28T10:00:00.000Z');
      assert.equal(addMonths(utc('2028-01-31T00:00:00'), 1).toISOString(), '2028-02-29T00:00:00.000Z');
      assert.equal(addMonths(utc('2026-11-15T23:59:59'), 3).toISOString(), '2027-02-15T23:59:59.000Z');
      assert.equal(addMonths(utc('2026-05-31T00:00:00'), 12).toISOString(), '2027-05-31T00:00:00.000Z');
    });

    it('finds the period containing now, each start computed from the anchor', () => {
      const anchor = utc('2026-01-31T12:00:00');
      assert.equal(
        currentPeriodStart(anchor, utc('2026-01-31T12:00:00')).toISOString(),
        anchor.toISOString(),
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2026-02-28T11:59:59')).toISOString(),
        anchor.toISOString(),
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2026-02-28T12:00:00')).toISOString(),
        '2026-02-28T12:00:00.000Z',
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2026-03-30T00:00:00')).toISOString(),
        '2026-02-28T12:00:00.000Z',
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2026-03-31T12:00:00')).toISOString(),
        '2026-03-31T12:00:00.000Z',
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2027-01-01T00:00:00')).toISOString(),
        '2026-12-31T12:00:00.000Z',
      );
      assert.equal(
        nextPeriodStart(anchor, utc('2026-03-30T00:00:00')).toISOString(),
        '2026-03-31T12:00:00.000Z',
      );
      assert.equal(
        currentPeriodStart(anchor, utc('2025-12-01T00:00:00')).toISOString(),
        anchor.toISOString(),
      );
      assert.equal(periodDate(utc('2026-02-28T12:00:00')), '2026-02-28');
    });

    it('counts whole days left and picks the anchor of a row', () => {
      const now = utc('2026-01-01T00:00:00');
      assert.equal(daysUntil(utc('2026-01-11T23:00:00'), now), 10);
      assert.equal(daysUntil(utc('2025-12-01T00:00:00'), now), 0);
      assert.equal(daysUntil(null, now), 0);
      assert.equal(
        subscriptionAnchor({ started_at: now, created_at: utc('2020-01-01T00:00:00') })?.getTime(),
        now.getTime(),
      );
      assert.equal(subscriptionAnchor({ started_at: null, created_at: now })?.getTime(), now.getTime());
      assert.equal(subscriptionAnchor(null), null);
      const row = { started_at: utc('2026-01-31T12:00:00'), created_at: utc('2020-01-01T00:00:00') };
      assert.equal(usagePeriod(row, utc('2026-03-30T00:00:00')), '2026-02-28');
      assert.equal(
        usagePeriod({ started_at: null, created_at: '2026-01-10T00:00:00Z' }, utc('2026-03-09T00:00:00')),
        '2026-02-10',
      );
    });
  });

  describe('planPurchase', () => {
    const now = utc('2026-03-10T00:00:00');
    const prices: Record<number, bigint> = { 1: toMicro('30'), 2: toMicro('60'), 3: toMicro('90') };
    const priceOf = (level: number) => prices[level] ?? null;
    const active = (level: number, days: number): SubscriptionState => ({
      level,
      expiredAt: new Date(now.getTime() + days * DAY_MS),
      startedAt: utc('2026-01-05T08:00:00'),
    });

    it('starts a new subscription now', () => {
      const result = planPurchase(null, 2, 12, priceOf, now);
      assert.deepEqual(result, {
        kind: 'new',
        cost: toMicro('576'),
        level: 2,
        expiredAt: utc('2027-03-10T00:00:00'),
        startedAt: now,
        months: 12,
      });
      const expired = {
        level: 3,
        expiredAt: utc('2026-03-01T00:00:00'),
        startedAt: utc('2025-01-01T00:00:00'),
      };
      const again = planPurchase(expired, 1, 1, priceOf, now);
      assert.ok(
        'kind' in again && again.kind === 'new' && again.startedAt === now && again.cost === toMicro('30'),
      );
    });

    it('renews the same level from its expiry, keeping the anchor', () => {
      const current = active(1, 10);
      const result = planPurchase(current, 1, 6, priceOf, now);
      assert.ok('kind' in result);
      assert.equal(result.kind, 'renew');
      assert.equal(points(result.cost), '162.000000');
      assert.equal(result.expiredAt.toISOString(), addMonths(current.expiredAt as Date, 6).toISOString());
      assert.equal(result.startedAt, current.startedAt);
      assert.equal(result.months, 6);
    });

    it('upgrades for the prorated difference, keeping expiry, anchor and total months', () => {
      const current = active(1, 15);
      const result = planPurchase(current, 3, 12, priceOf, now);
      assert.deepEqual(result, {
        kind: 'upgrade',
        cost: toMicro('30'),
        level: 3,
        expiredAt: current.expiredAt,
        startedAt: current.startedAt,
        months: 0,
      });
    });

    it('downgrades for free, stretching the remaining time', () => {
      const current = active(3, 10);
      const result = planPurchase(current, 1, 1, priceOf, now);
      assert.ok('kind' in result);
      assert.equal(result.kind, 'downgrade');
      assert.equal(result.cost, 0n);
      assert.equal(result.expiredAt.getTime(), now.getTime() + 30 * DAY_MS);
      assert.equal(result.startedAt, current.startedAt);
    });

    it('refuses a level without a plan and a change from a removed plan', () => {
      assert.deepEqual(
        planPurchase(null, 2, 1, (level) => (level === 1 ? 1n : null), now),
        {
          error: 'no plan for level 2',
        },
      );
      const result = planPurchase(active(2, 5), 1, 1, (level) => (level === 1 ? 1n : null), now);
      assert.ok('error' in result && /no longer exists/.test(result.error));
      const tooLong = planPurchase(active(1, 0.5), 1, 999, priceOf, utc('8950-01-01T00:00:00'));
      assert.ok('error' in tooLong);
    });
  });
});
