// Resolves API keys and user ids to identities, cached in process so a hot request never
// touches MySQL; entries expire after AUTH_CACHE_TTL and are dropped at once when another
// process announces a change for that user (key reset, ban, password change).
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { groupForLevel } from '../../shared/auth/groups.js';
import { sessionStamp } from '../../shared/auth/session-stamp.js';
import { announceInvalidate } from '../../shared/pubsub.js';
import type { Caller } from '../../shared/queues.js';
import type { RedisKeys } from '../../shared/redis-keys.js';

export interface Identity extends Caller {
  isBanned: boolean;
  /** The JWT `stamp` valid for this user's current credentials. */
  stamp: string;
}

interface Entry {
  identity: Identity | null;
  expiresAt: number;
}

const MAX_ENTRIES = 50_000;

export class IdentityCache {
  private readonly byKey = new Map<string, Entry>();
  private readonly byUser = new Map<number, Entry>();
  /** Bumped by every invalidation: a load that raced one is answered but not cached. */
  private epoch = 0;

  constructor(
    private readonly knex: Knex,
    private readonly ttlMs: number,
  ) {}

  /** A known key's identity from the cache alone (no query); null when not cached as valid. */
  cachedApiKey(apiKey: string): Identity | null {
    const cached = this.byKey.get(apiKey);
    return cached && cached.expiresAt > Date.now() ? cached.identity : null;
  }

  async byApiKey(apiKey: string): Promise<Identity | null> {
    const cached = this.byKey.get(apiKey);
    if (cached && cached.expiresAt > Date.now()) return cached.identity;
    const epoch = this.epoch;
    const row = await this.baseQuery()
      .join('apikey', 'apikey.user_id', 'auth.id')
      .where('apikey.api_key', apiKey)
      .first();
    const identity = row ? toIdentity(row) : null;
    if (epoch === this.epoch) this.store(this.byKey, apiKey, identity);
    return identity;
  }

  async byUserId(userId: number): Promise<Identity | null> {
    const cached = this.byUser.get(userId);
    if (cached && cached.expiresAt > Date.now()) return cached.identity;
    const epoch = this.epoch;
    const row = await this.baseQuery()
      .leftJoin('apikey', 'apikey.user_id', 'auth.id')
      .where('auth.id', userId)
      .first();
    const identity = row ? toIdentity(row) : null;
    if (epoch === this.epoch) this.store(this.byUser, userId, identity);
    return identity;
  }

  invalidateUser(userId: number): void {
    this.epoch += 1;
    this.byUser.delete(userId);
    for (const [key, entry] of this.byKey) if (entry.identity?.userId === userId) this.byKey.delete(key);
  }

  clear(): void {
    this.epoch += 1;
    this.byKey.clear();
    this.byUser.clear();
  }

  private baseQuery() {
    return this.knex('auth')
      .leftJoin('subscription', 'subscription.user_id', 'auth.id')
      .select(
        'auth.id',
        'auth.username',
        'auth.is_admin',
        'auth.is_banned',
        'auth.password',
        'auth.token',
        'apikey.id as api_key_id',
        'subscription.level',
        'subscription.expired_at',
      );
  }

  private store<K>(map: Map<K, Entry>, key: K, identity: Identity | null): void {
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as K);
    map.set(key, { identity, expiresAt: Date.now() + (identity ? this.ttlMs : Math.min(this.ttlMs, 5000)) });
  }
}

function toIdentity(row: Record<string, unknown>): Identity {
  return {
    userId: Number(row.id),
    username: String(row.username),
    isAdmin: Boolean(row.is_admin),
    isBanned: Boolean(row.is_banned),
    stamp: sessionStamp(String(row.password), String(row.token)),
    apiKeyId: row.api_key_id == null ? null : Number(row.api_key_id),
    group: groupForLevel(row.level as number | null, row.expired_at as Date | null),
  };
}

/** After a user's credentials, ban or key changed: drop them here at once, then in every process. */
export async function forgetUser(
  target: { identities: IdentityCache; redis: Redis; keys: RedisKeys },
  userId: number,
): Promise<void> {
  target.identities.invalidateUser(userId);
  await announceInvalidate(target.redis, target.keys.invalidateChannel, 'auth', String(userId));
}
