// The money ledger's holds and shared types: a hold is reserved before a request is enqueued;
// settlement (shared/billing/settle.ts) moves it from `held` exactly once.
import type { Knex } from 'knex';
import { formatMicro, type Micros, toMicro } from './money.js';

/**
 * READ COMMITTED: row locks only, no gap locks, so a settlement that looks up a request
 * without a hold never blocks (or deadlocks with) the hold inserts of new requests.
 */
export const LEDGER_TRANSACTION = { isolationLevel: 'read committed' } as const;

export type FundingSource = 'balance' | 'plan' | 'free' | 'cache';

export type EndReason =
  | 'stop'
  | 'length'
  | 'tool_calls'
  | 'client_cancel'
  | 'upstream_error'
  | 'timeout'
  | 'refused'
  /** The worker went silent (died, or Redis was away): what reached the client is paid. */
  | 'worker_lost';

export interface UsageRecordInput {
  requestId: string;
  userId: number;
  apiKeyId: number | null;
  model: string;
  upstreamModel: string | null;
  channelId: number | null;
  promptTokens: number;
  completionTokens: number;
  source: FundingSource;
  endReason: EndReason;
  latencyMs: number | null;
  ttftMs: number | null;
  startedAt: number;
}

export interface PlanHold {
  itemId: string;
  /** YYYY-MM-DD start of the subscription month the request counts in. */
  period: string;
  /** Monthly count of the item; -1 is unlimited. */
  limit: number;
}

/** Counts one use of a plan item; false when this month's count is used up. */
export async function takePlanHold(
  knex: Knex,
  requestId: string,
  userId: number,
  plan: PlanHold,
): Promise<boolean> {
  return knex.transaction(async (trx) => {
    if (plan.limit >= 0) {
      const key = { user_id: userId, item_id: plan.itemId, period_start: plan.period };
      await trx.raw(
        'INSERT IGNORE INTO `plan_usage` (`user_id`, `item_id`, `period_start`, `used`) VALUES (?, ?, ?, 0)',
        [userId, plan.itemId, plan.period],
      );
      const counted = await trx('plan_usage')
        .where(key)
        .andWhere('used', '<', plan.limit)
        .increment('used', 1);
      if (counted !== 1) return false;
    }
    await trx('quota_hold').insert({
      request_id: requestId,
      user_id: userId,
      source: 'plan',
      amount: 0,
      plan_item: plan.itemId,
      plan_period: plan.period,
    });
    return true;
  }, LEDGER_TRANSACTION);
}

export interface SettleInput {
  requestId: string;
  /** The exact cost of what was produced (0 when nothing was), micro-points. */
  cost: Micros;
  /** Output reached the client: the request is paid (a plan count is kept). */
  billable: boolean;
  /** The usage row to write; null for a sweeper release (the request never reported back). */
  record: UsageRecordInput | null;
}

/** A settlement as JSON carries it (job data, relay events): the cost as a decimal string. */
export type SettleMessage = Omit<SettleInput, 'cost'> & { cost: string };

export function toSettleMessage(input: SettleInput): SettleMessage {
  return { ...input, cost: formatMicro(input.cost) };
}

export function fromSettleMessage(message: SettleMessage): SettleInput {
  return { ...message, cost: toMicro(message.cost) };
}

/** Nothing was produced or nobody listened: the hold goes back, no row is written. */
export function releaseOf(requestId: string): SettleInput {
  return { requestId, cost: 0n, billable: false, record: null };
}

export type SettleOutcome = 'settled' | 'released' | 'already' | 'recorded';
