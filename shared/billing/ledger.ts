// The money ledger: a hold is reserved before a request is enqueued and settled or released
// exactly once (the quota_hold row's state moves from `held` once, under a row lock), in the
// same transaction as the balance change, the usage record and the daily rollup.
import type { Knex } from 'knex';
import { pointsString, roundPoints } from './pricing.js';

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
  | 'refused';

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

/** Reserves `amount` from the balance; false when the balance cannot cover it. */
export async function takeBalanceHold(
  knex: Knex,
  requestId: string,
  userId: number,
  amount: number,
): Promise<boolean> {
  const points = pointsString(amount);
  return knex.transaction(async (trx) => {
    const taken = await trx('quota')
      .where('user_id', userId)
      .andWhere('quota', '>=', points)
      .update({ quota: trx.raw('?? - ?', ['quota', points]), updated_at: trx.fn.now() });
    if (taken !== 1) return false;
    await trx('quota_hold').insert({
      request_id: requestId,
      user_id: userId,
      source: 'balance',
      amount: points,
    });
    return true;
  }, LEDGER_TRANSACTION);
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
  /** The exact cost of what was produced (0 when nothing was). */
  cost: number;
  /** Output reached the client: the request is paid (a plan count is kept). */
  billable: boolean;
  /** The usage row to write; null for a sweeper release (the request never reported back). */
  record: UsageRecordInput | null;
}

export type SettleOutcome = 'settled' | 'released' | 'already' | 'recorded';

/** Settles or releases a request's hold, writes its usage row and rollup; a second call changes nothing. */
export async function settle(
  knex: Knex,
  input: SettleInput,
): Promise<{ outcome: SettleOutcome; charged: number }> {
  return knex.transaction(async (trx) => {
    const hold: HoldRow | undefined = await trx('quota_hold')
      .where('request_id', input.requestId)
      .forUpdate()
      .first();
    if (hold && hold.state !== 'held')
      return { outcome: 'already' as const, charged: Number(hold.charged ?? 0) };
    let charged = 0;
    if (hold?.source === 'balance') charged = await settleBalance(trx, hold, input);
    if (hold?.source === 'plan' && !input.billable) await givePlanBack(trx, hold);
    if (hold) {
      await trx('quota_hold')
        .where('request_id', input.requestId)
        .update({
          state: input.billable ? 'settled' : 'released',
          charged: pointsString(charged),
          ended_at: trx.fn.now(3),
        });
    }
    if (input.record) {
      const inserted = await insertRecord(trx, input.record, charged);
      if (!inserted && !hold) return { outcome: 'already' as const, charged };
    }
    if (!hold) return { outcome: 'recorded' as const, charged };
    return { outcome: input.billable ? ('settled' as const) : ('released' as const), charged };
  }, LEDGER_TRANSACTION);
}

interface HoldRow {
  request_id: string;
  user_id: number;
  source: string;
  amount: string;
  plan_item: string | null;
  plan_period: string | null;
  state: string;
  charged: string | null;
}

async function settleBalance(trx: Knex.Transaction, hold: HoldRow, input: SettleInput): Promise<number> {
  const amount = Number(hold.amount);
  const row = await trx('quota').where('user_id', hold.user_id).forUpdate().first('quota');
  const balance = Number(row?.quota ?? 0);
  // Never below zero: a cost above the hold takes at most what the balance still has.
  const charged = input.billable ? roundPoints(Math.min(Math.max(input.cost, 0), amount + balance)) : 0;
  await trx('quota')
    .where('user_id', hold.user_id)
    .update({
      quota: trx.raw('?? + ?', ['quota', pointsString(amount - charged)]),
      used: trx.raw('?? + ?', ['used', pointsString(charged)]),
      updated_at: trx.fn.now(),
    });
  return charged;
}

async function givePlanBack(trx: Knex.Transaction, hold: HoldRow): Promise<void> {
  await trx('plan_usage')
    .where({ user_id: hold.user_id, item_id: hold.plan_item ?? '', period_start: hold.plan_period ?? '' })
    .andWhere('used', '>', 0)
    .decrement('used', 1);
}

async function insertRecord(trx: Knex.Transaction, record: UsageRecordInput, cost: number): Promise<boolean> {
  const [result] = await trx.raw(
    'INSERT IGNORE INTO `usage_record` (`request_id`, `created_at`, `user_id`, `api_key_id`, `model`, `upstream_model`, `channel_id`, `prompt_tokens`, `completion_tokens`, `cost`, `source`, `end_reason`, `latency_ms`, `ttft_ms`) VALUES (?, FROM_UNIXTIME(? / 1000), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      record.requestId,
      record.startedAt,
      record.userId,
      record.apiKeyId,
      record.model,
      record.upstreamModel,
      record.channelId,
      record.promptTokens,
      record.completionTokens,
      pointsString(cost),
      record.source,
      record.endReason,
      record.latencyMs,
      record.ttftMs,
    ],
  );
  if (result.affectedRows !== 1) return false;
  const failed = ['upstream_error', 'timeout'].includes(record.endReason) ? 1 : 0;
  await trx.raw(
    'INSERT INTO `usage_daily` (`day`, `user_id`, `model`, `requests`, `failures`, `prompt_tokens`, `completion_tokens`, `cost`) VALUES (DATE(FROM_UNIXTIME(? / 1000)), ?, ?, 1, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `requests` = `requests` + 1, `failures` = `failures` + VALUES(`failures`), `prompt_tokens` = `prompt_tokens` + VALUES(`prompt_tokens`), `completion_tokens` = `completion_tokens` + VALUES(`completion_tokens`), `cost` = `cost` + VALUES(`cost`)',
    [
      record.startedAt,
      record.userId,
      record.model,
      failed,
      record.promptTokens,
      record.completionTokens,
      pointsString(cost),
    ],
  );
  return true;
}

/** Holds still `held` after `olderThanMs` whose request is gone: released without a record. */
export async function releaseStaleHolds(
  knex: Knex,
  olderThanMs: number,
  isRunning: (requestId: string) => Promise<boolean>,
  limit = 500,
): Promise<number> {
  const stale: { request_id: string }[] = await knex('quota_hold')
    .where('state', 'held')
    .andWhere('created_at', '<', new Date(Date.now() - olderThanMs))
    .limit(limit)
    .select('request_id');
  let released = 0;
  for (const { request_id: requestId } of stale) {
    if (await isRunning(requestId)) continue;
    const result = await settle(knex, { requestId, cost: 0, billable: false, record: null });
    if (result.outcome === 'released') released += 1;
  }
  return released;
}
