// Subscription arithmetic after Chat Nio, as pure functions: money in integer micro-points
// (BigInt), time in UTC milliseconds, calendar months in UTC. No I/O.

export const DAY_MS = 86_400_000;
/** Remaining time is valued in 30-day months (Chat Nio: days × monthly price / 30). */
export const PRORATION_MONTH_MS = 30 * DAY_MS;
export const MAX_MONTHS = 999;

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

/** Percent off for a purchase of this many months: 10 from 6, 20 from 12, 30 from 36. */
export function discountPercent(months: number): number {
  if (months >= 36) return 30;
  if (months >= 12) return 20;
  if (months >= 6) return 10;
  return 0;
}

/** monthly × months × (100 − discount)%, rounded up to the micro-point. */
export function subscriptionPrice(monthly: bigint, months: number): bigint {
  return ceilDiv(monthly * BigInt(months) * BigInt(100 - discountPercent(months)), 100n);
}

/** Upgrade: (new monthly − old monthly) × remaining / 30 days, rounded up; never negative. */
export function upgradeCost(oldMonthly: bigint, newMonthly: bigint, remainingMs: number): bigint {
  const difference = newMonthly - oldMonthly;
  if (difference <= 0n || remainingMs <= 0) return 0n;
  return ceilDiv(difference * BigInt(Math.floor(remainingMs)), BigInt(PRORATION_MONTH_MS));
}

/**
 * Downgrade: the remaining time's value at the old price buys remaining × old / new at the
 * new price (rounded down to the ms). Never shortens: a free or not cheaper target keeps it.
 */
export function stretchRemaining(oldMonthly: bigint, newMonthly: bigint, remainingMs: number): number {
  const remaining = Math.max(0, Math.floor(remainingMs));
  if (newMonthly <= 0n || oldMonthly <= newMonthly) return remaining;
  return Number((BigInt(remaining) * oldMonthly) / newMonthly);
}

/** Adds calendar months in UTC; the day is clamped to the target month (Jan 31 + 1 = Feb 28/29). */
export function addMonths(date: Date, months: number): Date {
  const target = new Date(date.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return target;
}

function periodIndex(anchor: Date, now: Date): number {
  if (now.getTime() < anchor.getTime()) return 0;
  let k = (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (now.getUTCMonth() - anchor.getUTCMonth());
  while (k > 0 && addMonths(anchor, k).getTime() > now.getTime()) k -= 1;
  while (addMonths(anchor, k + 1).getTime() <= now.getTime()) k += 1;
  return k;
}

/**
 * Start of the monthly usage period that contains `now`: anchor + k calendar months (each
 * computed from the anchor, so a 31st anchor gives Feb 28 then Mar 31). Before the anchor:
 * the anchor itself.
 */
export function currentPeriodStart(anchor: Date, now: Date): Date {
  return addMonths(anchor, periodIndex(anchor, now));
}

/** When the counters of the period containing `now` reset. */
export function nextPeriodStart(anchor: Date, now: Date): Date {
  return addMonths(anchor, periodIndex(anchor, now) + 1);
}

/** A period start as the `plan_usage.period_start` DATE value (UTC), e.g. '2026-03-31'. */
export function periodDate(start: Date): string {
  return start.toISOString().slice(0, 10);
}

/** Whole days from now until `until` (rounded down, never negative). */
export function daysUntil(until: Date | null, now: Date): number {
  if (!until) return 0;
  return Math.max(0, Math.floor((until.getTime() - now.getTime()) / DAY_MS));
}

export interface SubscriptionState {
  level: number;
  expiredAt: Date | null;
  /** The usage anchor (subscription start); null for none. */
  startedAt: Date | null;
}

export function isActive(state: SubscriptionState | null, now: Date): boolean {
  return Boolean(state && state.level > 0 && state.expiredAt && state.expiredAt.getTime() > now.getTime());
}

export type PurchaseKind = 'new' | 'renew' | 'upgrade' | 'downgrade';

export interface Purchase {
  kind: PurchaseKind;
  /** Paid from the balance, micro-points. */
  cost: bigint;
  level: number;
  expiredAt: Date;
  startedAt: Date;
  /** Added to total_month. */
  months: number;
}

/** Latest expiry accepted (DATETIME range, with room). */
export const MAX_EXPIRY = new Date(Date.UTC(9000, 0, 1));

/**
 * What buying `months` of `level` costs and does, given the current state and the monthly
 * price per level (micro-points, null when that level has no plan):
 * - none or expired: pay subscriptionPrice, start now, expire now + months;
 * - same level: pay subscriptionPrice, expiry + months, anchor kept;
 * - upgrade: pay upgradeCost for the remaining time, expiry and anchor kept, months ignored;
 * - downgrade: free, expiry = now + stretchRemaining, anchor kept, months ignored.
 */
export function planPurchase(
  current: SubscriptionState | null,
  level: number,
  months: number,
  priceOf: (level: number) => bigint | null,
  now: Date,
): Purchase | { error: string } {
  const price = priceOf(level);
  if (price === null) return { error: `no plan for level ${level}` };
  if (!current || !isActive(current, now)) {
    return checked({
      kind: 'new',
      cost: subscriptionPrice(price, months),
      level,
      expiredAt: addMonths(now, months),
      startedAt: now,
      months,
    });
  }
  const expiredAt = current.expiredAt as Date;
  const startedAt = current.startedAt ?? now;
  if (current.level === level) {
    const cost = subscriptionPrice(price, months);
    return checked({
      kind: 'renew',
      cost,
      level,
      expiredAt: addMonths(expiredAt, months),
      startedAt,
      months,
    });
  }
  const currentPrice = priceOf(current.level);
  if (currentPrice === null) return { error: `your current plan (level ${current.level}) no longer exists` };
  const remainingMs = expiredAt.getTime() - now.getTime();
  if (level > current.level) {
    const cost = upgradeCost(currentPrice, price, remainingMs);
    return { kind: 'upgrade', cost, level, expiredAt, startedAt, months: 0 };
  }
  const stretched = Math.min(
    stretchRemaining(currentPrice, price, remainingMs),
    MAX_EXPIRY.getTime() - now.getTime(),
  );
  return {
    kind: 'downgrade',
    cost: 0n,
    level,
    expiredAt: new Date(now.getTime() + stretched),
    startedAt,
    months: 0,
  };
}

function checked(purchase: Purchase): Purchase | { error: string } {
  if (purchase.expiredAt.getTime() > MAX_EXPIRY.getTime())
    return { error: 'the subscription would be too long' };
  return purchase;
}

/**
 * The usage anchor of a `subscription` row: started_at (set when a subscription starts), or
 * created_at for rows from an adopted Chat Nio database that have none.
 */
export function subscriptionAnchor(
  row: { started_at?: Date | string | null; created_at?: Date | string | null } | null | undefined,
): Date | null {
  const value = row?.started_at ?? row?.created_at ?? null;
  return value ? new Date(value) : null;
}

/**
 * The `plan_usage.period_start` (DATE, UTC) that a request at `now` counts against, for a
 * `subscription` row (needs started_at and created_at): periodDate(currentPeriodStart(anchor, now)).
 */
export function usagePeriod(
  row: { started_at?: Date | string | null; created_at?: Date | string | null },
  now: Date = new Date(),
): string {
  return periodDate(currentPeriodStart(subscriptionAnchor(row) ?? now, now));
}
