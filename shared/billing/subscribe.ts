// Buying a subscription (POST /subscribe) and reading one (GET /subscription). A purchase
// locks the user's auth row (one purchase per user at a time), pays from the balance with a
// guarded UPDATE and writes the subscription in the same transaction.
import type { Knex } from 'knex';
import type { PlanStore } from './plans.js';
import { formatMicro } from './money.js';
import { retryOnDeadlock } from './retry.js';
import {
  currentPeriodStart,
  daysUntil,
  isActive,
  nextPeriodStart,
  type PurchaseKind,
  periodDate,
  planPurchase,
  type SubscriptionState,
  subscriptionAnchor,
} from './subscription-math.js';

export interface SubscriptionRow {
  level: number;
  expired_at: Date | null;
  started_at: Date | null;
  created_at: Date | null;
  total_month: number;
  enterprise: boolean;
}

export type PurchaseResult =
  | { ok: true; kind: PurchaseKind; cost: string; level: number; expiredAt: Date }
  | { ok: false; error: string };

function stateOf(row: SubscriptionRow | undefined): SubscriptionState | null {
  if (!row) return null;
  return {
    level: Number(row.level),
    expiredAt: row.expired_at ? new Date(row.expired_at) : null,
    startedAt: subscriptionAnchor(row),
  };
}

/** Whole seconds: DATETIME keeps no fractions, and the stored anchor must equal the one used. */
function nowSeconds(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

export function purchaseSubscription(
  knex: Knex,
  plans: PlanStore,
  userId: number,
  level: number,
  months: number,
): Promise<PurchaseResult> {
  return retryOnDeadlock(() =>
    knex.transaction(async (trx): Promise<PurchaseResult> => {
      const user = await trx('auth').where({ id: userId }).forUpdate().first('id');
      if (!user) return { ok: false, error: 'user not found' };
      const row: SubscriptionRow | undefined = await trx('subscription').where({ user_id: userId }).first();
      const now = nowSeconds();
      const purchase = planPurchase(stateOf(row), level, months, (l) => plans.monthlyPrice(l), now);
      if ('error' in purchase) return { ok: false, error: purchase.error };
      const cost = formatMicro(purchase.cost);
      if (purchase.cost > 0n) {
        const [paid] = await trx.raw(
          'UPDATE `quota` SET `quota` = `quota` - ?, `used` = `used` + ?, `updated_at` = CURRENT_TIMESTAMP WHERE `user_id` = ? AND `quota` >= ?',
          [cost, cost, userId, cost],
        );
        if (Number(paid.affectedRows) === 0) return { ok: false, error: 'insufficient quota' };
      }
      const values = {
        level: purchase.level,
        expired_at: purchase.expiredAt,
        started_at: purchase.startedAt,
      };
      if (row) {
        await trx('subscription')
          .where({ user_id: userId })
          .update({
            ...values,
            total_month: trx.raw('`total_month` + ?', [purchase.months]),
            updated_at: now,
          });
      } else {
        await trx('subscription').insert({ ...values, user_id: userId, total_month: purchase.months });
      }
      return { ok: true, kind: purchase.kind, cost, level: purchase.level, expiredAt: purchase.expiredAt };
    }),
  );
}

/** A user's subscription row (undefined without one). */
export async function subscriptionRow(knex: Knex, userId: number): Promise<SubscriptionRow | undefined> {
  return knex('subscription').where({ user_id: userId }).first();
}

export interface SubscriptionStatus {
  level: number;
  is_subscribed: boolean;
  enterprise: boolean;
  /** Whole days left. */
  expired: number;
  expired_at: string | null;
  /** Whole days until the usage counters reset. */
  refresh: number;
  refresh_at: string | null;
  usage: Record<string, { used: number; total: number }>;
}

/** The /subscription answer: level, expiry, next counter reset and this period's item usage. */
export async function subscriptionStatus(
  knex: Knex,
  plans: PlanStore,
  userId: number,
  now = new Date(),
): Promise<SubscriptionStatus> {
  const row: SubscriptionRow | undefined = await knex('subscription').where({ user_id: userId }).first();
  const state = stateOf(row);
  const status: SubscriptionStatus = {
    level: 0,
    is_subscribed: false,
    enterprise: Boolean(row?.enterprise),
    expired: 0,
    expired_at: state?.expiredAt?.toISOString() ?? null,
    refresh: 0,
    refresh_at: null,
    usage: {},
  };
  if (!state || !isActive(state, now)) return status;
  const anchor = state.startedAt ?? now;
  const refreshAt = nextPeriodStart(anchor, now);
  const period = periodDate(currentPeriodStart(anchor, now));
  const rows: { item_id: string; used: number }[] = await knex('plan_usage')
    .where({ user_id: userId, period_start: period })
    .select('item_id', 'used');
  const used = new Map(rows.map((r) => [r.item_id.toLowerCase(), Number(r.used)]));
  for (const item of plans.find(state.level)?.items ?? []) {
    status.usage[item.id] = { used: used.get(item.id.toLowerCase()) ?? 0, total: item.value };
  }
  return {
    ...status,
    level: state.level,
    is_subscribed: true,
    expired: daysUntil(state.expiredAt, now),
    refresh: daysUntil(refreshAt, now),
    refresh_at: refreshAt.toISOString(),
  };
}
