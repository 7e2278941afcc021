// Resolves API keys and user ids to identities, cached in process so a hot request never
// touches MySQL; entries expire after AUTH_CACHE_TTL and are dropped at once when another
// process announces a change for that user (key reset, ban, password change).
import type { Knex } from 'knex';
import { groupForLevel } from '../../shared/auth/groups.js';
import type { Caller } from '../../shared/queues.js';

export interface Identity extends Caller {
  isBanned: boolean;
}

interface Entry {
  identity: Identity | null;
  expiresAt: number;
}

const MAX_ENTRIES = 50_000;

export class IdentityCache {
  private readonly byKey = new Map<string, Entry>();
  private readonly byUser = new Map<number, Entry>();

  constructor(
    private readonly knex: Knex,
    private readonly ttlMs: number,
  ) {}

  async byApiKey(apiKey: string): Promise<Identity | null> {
    const cached = this.byKey.get(apiKey);
    if (cached && cached.expiresAt > Date.now()) return cached.identity;
    const row = await this.baseQuery()
      .join('apikey', 'apikey.user_id', 'auth.id')
      .where('apikey.api_key', apiKey)
      .first();
    const identity = row ? toIdentity(row) : null;
    this.store(this.byKey, apiKey, identity);
    return identity;
  }

  async byUserId(userId: number): Promise<Identity | null> {
    const cached = this.byUser.get(userId);
    if (cached && cached.expiresAt > Date.now()) return cached.identity;
    const row = await this.baseQuery()
      .leftJoin('apikey', 'apikey.user_id', 'auth.id')
      .where('auth.id', userId)
      .first();
    const identity = row ? toIdentity(row) : null;
    this.store(this.byUser, userId, identity);
    return identity;
  }

  invalidateUser(userId: number): void {
    this.byUser.delete(userId);
    for (const [key, entry] of this.byKey) if (entry.identity?.userId === userId) this.byKey.delete(key);
  }

  clear(): void {
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
    apiKeyId: row.api_key_id == null ? null : Number(row.api_key_id),
    group: groupForLevel(row.level as number | null, row.expired_at as Date | null),
  };
}
