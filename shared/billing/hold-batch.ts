// Balance holds taken a batch per transaction: concurrent requests (often of the same user)
// share one commit instead of queueing on the user's quota row one commit each. Holds are
// granted in submission order while the balance covers them; the balance never goes below 0.
// A request that allows it (no max_tokens of its own) may be granted a smaller output budget.
import type { Knex } from 'knex';
import { Batcher } from './batcher.js';
import { LEDGER_TRANSACTION } from './ledger.js';
import { pointsString, roundPoints } from './pricing.js';

/** How a hold may shrink: `fixed + perToken × tokens`, for at least `minTokens` output tokens. */
export interface OutputShrink {
  /** The part that does not depend on the output (the prompt's cost). */
  fixed: number;
  /** The cost of one unit of output budget (one token for each of the n choices). */
  perToken: number;
  /** The full output budget `amount` was computed for. */
  tokens: number;
  /** Below this budget the request is refused instead. */
  minTokens: number;
}

export interface HoldRequest {
  requestId: string;
  userId: number;
  amount: number;
  shrink?: OutputShrink;
}

export interface HoldGrant {
  /** The amount held. */
  amount: number;
  /** The output budget the hold covers when it was shrunk below the full budget; else null. */
  tokens: number | null;
  /** The balance left right after this hold (a hint for later requests). */
  balance: number;
}

/** What a balance can hold for one request: the full amount, a shrunk one, or nothing. */
export function grantFor(balance: number, request: HoldRequest): Omit<HoldGrant, 'balance'> | null {
  const amount = roundPoints(request.amount);
  if (balance >= amount) return { amount, tokens: null };
  const shrink = request.shrink;
  if (!shrink || shrink.perToken <= 0) return null;
  let tokens = Math.min(Math.floor((balance - shrink.fixed) / shrink.perToken), shrink.tokens);
  while (tokens >= shrink.minTokens && roundPoints(shrink.fixed + shrink.perToken * tokens) > balance)
    tokens -= 1;
  if (tokens < shrink.minTokens) return null;
  return { amount: roundPoints(shrink.fixed + shrink.perToken * tokens), tokens };
}

/** Grants (or refuses: null) each hold, in order, in one transaction. */
export async function takeHolds(knex: Knex, requests: HoldRequest[]): Promise<(HoldGrant | null)[]> {
  return knex.transaction(async (trx) => {
    const users = [...new Set(requests.map((request) => request.userId))].sort((a, b) => a - b);
    const rows = await trx('quota')
      .whereIn('user_id', users)
      .orderBy('user_id')
      .forUpdate()
      .select('user_id', 'quota');
    const balances = new Map<number, number>(rows.map((row) => [Number(row.user_id), Number(row.quota)]));
    const taken = new Map<number, number>();
    const grants = requests.map((request) => {
      const balance = balances.get(request.userId);
      if (balance === undefined) return null;
      const grant = grantFor(balance, request);
      if (!grant) return null;
      const left = roundPoints(balance - grant.amount);
      balances.set(request.userId, left);
      taken.set(request.userId, roundPoints((taken.get(request.userId) ?? 0) + grant.amount));
      return { ...grant, balance: left };
    });
    for (const [userId, amount] of taken) {
      await trx('quota')
        .where('user_id', userId)
        .update({ quota: trx.raw('?? - ?', ['quota', pointsString(amount)]), updated_at: trx.fn.now() });
    }
    const holds = requests.flatMap((request, index) => {
      const grant = grants[index];
      return grant ? [{ request, grant }] : [];
    });
    if (holds.length > 0) {
      await trx('quota_hold').insert(
        holds.map(({ request, grant }) => ({
          request_id: request.requestId,
          user_id: request.userId,
          source: 'balance',
          amount: pointsString(grant.amount),
        })),
      );
    }
    return grants;
  }, LEDGER_TRANSACTION);
}

export class HoldBatcher extends Batcher<HoldRequest, HoldGrant | null> {
  /** Holds are on the request path: no gathering delay (batches still form under load). */
  constructor(knex: Knex) {
    super(
      (requests) => takeHolds(knex, requests),
      async (request) => (await takeHolds(knex, [request]))[0],
    );
  }
}
