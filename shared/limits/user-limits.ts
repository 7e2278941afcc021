// Per-user relay limits (`user_limit` table): each of rpm, tpm and concurrency is either a
// number (0 = unlimited) or null, meaning the global value from settings.limits.
import type { Knex } from 'knex';
import type { RelayLimits } from './relay-admission.js';

export type UserLimitOverride = { [K in keyof RelayLimits]: number | null };

export const LIMIT_FIELDS = ['rpm', 'tpm', 'concurrency'] as const;

const NO_OVERRIDE: UserLimitOverride = { rpm: null, tpm: null, concurrency: null };

export async function loadUserLimit(knex: Knex, userId: number): Promise<UserLimitOverride> {
  const row = await knex('user_limit').where({ user_id: userId }).first('rpm', 'tpm', 'concurrency');
  return row ? toOverride(row) : NO_OVERRIDE;
}

/** Applies a partial change (a field left out is kept, null clears it); no override left deletes the row. */
export async function saveUserLimit(
  knex: Knex,
  userId: number,
  patch: Partial<UserLimitOverride>,
): Promise<UserLimitOverride> {
  return knex.transaction(async (trx) => {
    const current = await trx('user_limit').where({ user_id: userId }).first('rpm', 'tpm', 'concurrency');
    const next: UserLimitOverride = current ? toOverride(current) : { ...NO_OVERRIDE };
    for (const field of LIMIT_FIELDS) if (patch[field] !== undefined) next[field] = patch[field];
    if (LIMIT_FIELDS.every((field) => next[field] === null)) {
      await trx('user_limit').where({ user_id: userId }).delete();
    } else {
      await trx('user_limit')
        .insert({ user_id: userId, ...next })
        .onConflict('user_id')
        .merge({ ...next, updated_at: trx.fn.now() });
    }
    return next;
  });
}

export function effectiveLimits(global: RelayLimits, override: UserLimitOverride): RelayLimits {
  return {
    rpm: override.rpm ?? global.rpm,
    tpm: override.tpm ?? global.tpm,
    concurrency: override.concurrency ?? global.concurrency,
  };
}

function toOverride(row: Record<string, unknown>): UserLimitOverride {
  const value = (field: string) => (row[field] == null ? null : Number(row[field]));
  return { rpm: value('rpm'), tpm: value('tpm'), concurrency: value('concurrency') };
}
