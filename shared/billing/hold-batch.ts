// Balance holds taken a batch per transaction: concurrent requests (often of the same user)
// share one commit instead of queueing on the user's quota row one commit each. Holds are
// granted in submission order while the balance covers them; the balance never goes below 0.
// A request that allows it (no max_tokens of its own) may be granted a smaller output budget.
import type { Knex } from 'knex';
import { Batcher } from './batcher.js';
import { LEDGER_TRANSACTION } from './ledger.js';
import { divideRounded, formatMicro, type Micros, toMicro } from './money.js';

/** How a hold may shrink: `fixed + per1k × tokens / 1000`, for at least `minTokens` output tokens. */
export interface OutputShrink {
  /** The part that does not depend on the output (the prompt's cost). */
  fixed: Micros;
  /** The cost of 1,000 units of output budget (a token for each of the n choices). */
  per1k: Micros;
  /** The full output budget `amount` was computed for. */
  tokens: number;
  /** Below this budget the request is refused instead. */
  minTokens: number;
}

export interface HoldRequest {
  requestId: string;
  userId: number;
  amount: Micros;
  shrink?: OutputShrink;
}

export interface HoldGrant {
  /** The amount held. */
  amount: Micros;
  /** The output budget the hold covers when it was shrunk below the full budget; else null. */
  tokens: number | null;
  /** The balance left right after this hold (a hint for later requests). */
  balance: Micros;
}

const shrunkAmount = (shrink: OutputShrink, tokens: number): Micros =>
  shrink.fixed + divideRounded(shrink.per1k * BigInt(tokens), 1000n);

/** What a balance can hold for one request: the full amount, a shrunk one, or nothing. */
export function grantFor(balance: Micros, request: HoldRequest): Omit<HoldGrant, 'balance'> | null {
  if (balance >= request.amount) return { amount: request.amount, tokens: null };
  const shrink = request.shrink;
  if (!shrink || shrink.per1k <= 0n || balance < shrink.fixed) return null;
  const affordable = Number(((balance - shrink.fixed) * 1000n) / shrink.per1k);
  let tokens = Math.min(affordable, shrink.tokens);
  while (tokens >= shrink.minTokens && shrunkAmount(shrink, tokens) > balance) tokens -= 1;
  if (tokens < shrink.minTokens) return null;
  return { amount: shrunkAmount(shrink, tokens), tokens };
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
    const balances = new Map<number, Micros>(rows.map((row) => [Number(row.user_id), toMicro(row.quota)]));
    const taken = new Map<number, Micros>();
    const grants = requests.map((request) => {
      const balance = balances.get(request.userId);
      if (balance === undefined) return null;
      const grant = grantFor(balance, request);
      if (!grant) return null;
      const left = balance - grant.amount;
      balances.set(request.userId, left);
      taken.set(request.userId, (taken.get(request.userId) ?? 0n) + grant.amount);
      return { ...grant, balance: left };
    });
    for (const [userId, amount] of taken) {
      await trx('quota')
        .where('user_id', userId)
        .update({ quota: trx.raw('?? - ?', ['quota', formatMicro(amount)]), updated_at: trx.fn.now() });
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
          amount: formatMicro(grant.amount),
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
