// Admin user management: paged search, balance top-up/override (never below 0), ban and
// password changes. Changes to credentials or bans are announced so every process drops them.
import type { Knex } from 'knex';
import { paginate } from '../pagination.js';
import { errors } from '../errors.js';
import { toAmount } from './accounts.js';
import { hashPassword } from './password.js';

export const USER_PAGE_SIZE = 10;
export const ROOT_USERNAME = 'root';

export interface AdminDeps {
  knex: Knex;
  forget(userId: number): Promise<void>;
}

/** A LIKE pattern matching `term` literally anywhere ('!' is the escape character). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[!%_]/g, '!$&')}%`;
}

export async function listUsers(knex: Knex, page: number, search: string) {
  const filter = (query: Knex.QueryBuilder) => {
    if (!search) return query;
    const pattern = containsPattern(search);
    return query.where((q) =>
      q
        .whereRaw("`auth`.`username` LIKE ? ESCAPE '!'", [pattern])
        .orWhereRaw("`auth`.`email` LIKE ? ESCAPE '!'", [pattern]),
    );
  };
  const query = filter(knex('auth'))
    .leftJoin('quota', 'quota.user_id', 'auth.id')
    .leftJoin('subscription', 'subscription.user_id', 'auth.id')
    .select(
      'auth.id',
      'auth.username',
      'auth.email',
      'auth.is_admin',
      'auth.is_banned',
      'quota.quota',
      'quota.used',
      'subscription.level',
      'subscription.expired_at',
    )
    .orderBy('auth.id');
  const { total, pages, data: rows } = await paginate(query, page, USER_PAGE_SIZE);
  return {
    total,
    pages,
    page,
    data: rows.map((row: Record<string, unknown>) => ({
      id: Number(row.id),
      username: String(row.username),
      email: String(row.email ?? ''),
      is_admin: Boolean(row.is_admin),
      is_banned: Boolean(row.is_banned),
      quota: toAmount(row.quota),
      used_quota: toAmount(row.used),
      level: Number(row.level ?? 0),
      expired_at: row.expired_at ? new Date(row.expired_at as string | Date).toISOString() : null,
    })),
  };
}

async function requireUser(knex: Knex, id: number): Promise<{ id: number; username: string }> {
  const user = await knex('auth').where({ id }).first('id', 'username');
  if (!user) throw errors.invalidRequest('user not found', 'id');
  return user;
}

/**
 * override: the balance becomes `amount` (which must be >= 0); otherwise `amount` is added,
 * and a negative one takes the balance down to 0 at most (clamped in one UPDATE).
 */
export async function adjustQuota(
  knex: Knex,
  id: number,
  amount: number,
  override: boolean,
): Promise<number> {
  if (override && amount < 0) throw errors.invalidRequest('an overriding quota cannot be negative', 'quota');
  await requireUser(knex, id);
  const points = amount.toFixed(6);
  const update = override ? 'CAST(? AS DECIMAL(24,6))' : 'GREATEST(`quota` + CAST(? AS DECIMAL(24,6)), 0)';
  await knex.raw(
    'INSERT INTO `quota` (`user_id`, `quota`, `used`) VALUES (?, GREATEST(CAST(? AS DECIMAL(24,6)), 0), 0) ' +
      `ON DUPLICATE KEY UPDATE \`quota\` = ${update}, \`updated_at\` = CURRENT_TIMESTAMP`,
    [id, points, points],
  );
  const row = await knex('quota').where({ user_id: id }).first('quota');
  return toAmount(row?.quota);
}

export async function setBanned(deps: AdminDeps, actorId: number, id: number, ban: boolean): Promise<void> {
  const user = await requireUser(deps.knex, id);
  if (ban && id === actorId) throw errors.invalidRequest('you cannot ban yourself', 'id');
  if (ban && user.username === ROOT_USERNAME)
    throw errors.invalidRequest('the root user cannot be banned', 'id');
  await deps.knex('auth').where({ id }).update({ is_banned: ban });
  await deps.forget(id);
}

/** Any admin may set a user's password, but only root sets root's (no takeover by another admin). */
export async function setPassword(
  deps: AdminDeps,
  actorId: number,
  id: number,
  password: string,
): Promise<void> {
  const user = await requireUser(deps.knex, id);
  if (user.username === ROOT_USERNAME && actorId !== user.id)
    throw errors.invalidRequest('only root can change the root password', 'id');
  await deps
    .knex('auth')
    .where({ id })
    .update({ password: await hashPassword(password) });
  await deps.forget(id);
}
