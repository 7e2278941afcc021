// Concurrency gate: a sorted set of in-flight request ids scored by lease expiry. A process
// renews the leases it holds; if it dies they lapse within one ttl and the slots come back.
import type { Redis } from 'ioredis';
import { GATE_ACQUIRE_LUA, GATE_RENEW_LUA } from './lua.js';
import { defineScript } from './script.js';
import type { LimitResult } from './sliding-log.js';

export interface GateResult extends Omit<LimitResult, 'resetMs'> {
  inFlight: number;
}

/** One held slot. */
export interface Lease {
  key: string;
  member: string;
}

/** Leases renewed per script call (one call per batch keeps Redis responsive). */
const RENEW_BATCH = 500;

const acquireScript = defineScript('gateAcquire', GATE_ACQUIRE_LUA);
const renewScript = defineScript('gateRenew', GATE_RENEW_LUA);

/** Takes a slot for `member` if fewer than `limit` unexpired leases are held under `key`. */
export async function acquireSlot(
  redis: Redis,
  key: string,
  limit: number,
  member: string,
  ttlMs: number,
): Promise<GateResult> {
  const [allowed, max, remaining, inFlight] = await acquireScript(redis, [key], [limit, ttlMs, member]);
  return { allowed: allowed === 1, limit: max, remaining, inFlight };
}

export async function releaseSlot(redis: Redis, lease: Lease): Promise<void> {
  await redis.zrem(lease.key, lease.member);
}

/** Extends live leases to now + ttl (a released or lapsed one is not revived). */
export async function renewSlots(redis: Redis, leases: Lease[], ttlMs: number): Promise<number> {
  if (leases.length === 0) return 0;
  const [renewed] = await renewScript(
    redis,
    leases.map((lease) => lease.key),
    [ttlMs, ...leases.map((lease) => lease.member)],
  );
  return renewed;
}

/**
 * The leases this process holds, renewed every ttl/3 by one script call (an unref'd timer,
 * started with the first lease and stopped with the last).
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    readonly ttlMs: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.held.size;
  }

  hold(lease: Lease): void {
    this.held.set(`${lease.key}\n${lease.member}`, lease);
    if (!this.timer) {
      this.timer = setInterval(
        () => this.renew().catch(this.onError),
        Math.max(1, Math.floor(this.ttlMs / 3)),
      );
      this.timer.unref();
    }
  }

  /** Forgets the lease here and frees its slot in Redis; safe to call twice. */
  async release(lease: Lease): Promise<void> {
    if (!this.held.delete(`${lease.key}\n${lease.member}`)) return;
    if (this.held.size === 0) this.stop();
    await releaseSlot(this.redis, lease);
  }

  async renew(): Promise<number> {
    const all = [...this.held.values()];
    let renewed = 0;
    for (let start = 0; start < all.length; start += RENEW_BATCH) {
      renewed += await renewSlots(this.redis, all.slice(start, start + RENEW_BATCH), this.ttlMs);
    }
    return renewed;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
