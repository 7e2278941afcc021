// Balance holds taken a batch per transaction: concurrent requests (often of the same user)
// share one commit instead of queueing on the user's quota row one commit each. Holds are
// granted in submission order while the balance covers them; the balance never goes below 0.
import type { Knex } from 'knex';
import { Batcher } from './batcher.js';
import { LEDGER_TRANSACTION, takeBalanceHold } from './ledger.js';
import { pointsString, roundPoints } from './pricing.js';

export interface HoldRequest {
  requestId: string;
  userId: number;
  amount: number;
}

/** Grants (true) or refuses (false) each hold, in order, in one transaction. */
export async function takeHolds(knex: Knex, requests: HoldRequest[]): Promise<boolean[]> {
  return knex.transaction(async (trx) => {
    const users = [...new Set(requests.map((request) => request.userId))].sort((a, b) => a - b);
    const rows = await trx('quota')
      .whereIn('user_id', users)
      .orderBy('user_id')
      .forUpdate()
      .select('user_id', 'quota');
    const balances = new Map<number, number>(rows.map((row) => [Number(row.user_id), Number(row.quota)]));
    const taken = new Map<number, number>();
    const granted = requests.map((request) => {
      const balance = balances.get(request.userId);
      const amount = roundPoints(request.amount);
      if (balance === undefined || balance < amount) return false;
      balances.set(request.userId, roundPoints(balance - amount));
      taken.set(request.userId, roundPoints((taken.get(request.userId) ?? 0) + amount));
      return true;
    });
    for (const [userId, amount] of taken) {
      await trx('quota')
        .where('user_id', userId)
        .update({ quota: trx.raw('?? - ?', ['quota', pointsString(amount)]), updated_at: trx.fn.now() });
    }
    const holds = requests.filter((_, index) => granted[index]);
    if (holds.length > 0) {
      await trx('quota_hold').insert(
        holds.map((hold) => ({
          request_id: hold.requestId,
          user_id: hold.userId,
          source: 'balance',
          amount: pointsString(hold.amount),
        })),
      );
    }
    return granted;
  }, LEDGER_TRANSACTION);
}

export class HoldBatcher extends Batcher<HoldRequest, boolean> {
  constructor(knex: Knex, maxBatch = 200) {
    super(
      (requests) => takeHolds(knex, requests),
      (request) => takeBalanceHold(knex, request.requestId, request.userId, request.amount),
      maxBatch,
    );
  }
}
