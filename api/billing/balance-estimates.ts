// What this api process last learned of each user's balance (from its own holds), so a
// request that the balance clearly covers can take its hold while its job is already being
// enqueued. Only a hint: the hold in MySQL still decides, and a refusal ends the request.
import { LRUCache } from 'lru-cache';
import type { Micros } from '../../shared/billing/money.js';

/** A hint older than this is not used. */
const TTL_MS = 30_000;

export class BalanceEstimates {
  private readonly known = new LRUCache<number, { balance: Micros }>({ max: 100_000, ttl: TTL_MS });

  /** True when the last known balance covers `amount` with room for as much again. */
  covers(userId: number, amount: Micros): boolean {
    const entry = this.known.get(userId);
    return entry !== undefined && entry.balance >= amount * 2n;
  }

  /** Counts a hold being taken on the hint, so parallel requests do not all rely on one balance. */
  spend(userId: number, amount: Micros): void {
    const entry = this.known.get(userId);
    if (entry) entry.balance -= amount;
  }

  /** The balance a hold left (0 after a refusal: the next request waits for its hold). */
  record(userId: number, balance: Micros): void {
    this.known.set(userId, { balance });
  }

  forget(userId: number): void {
    this.known.delete(userId);
  }
}
