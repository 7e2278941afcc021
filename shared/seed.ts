// Seeds the root admin when the user table is empty (CHATNIO-API.md section 2).
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashPassword } from './auth/password.js';
import { config } from './config.js';
import { logger } from './log.js';

export const DEFAULT_ROOT_PASSWORD = 'chatnio123456';

export async function seedRoot(knex: Knex): Promise<void> {
  const password = config().ROOT_PASSWORD;
  if (password === DEFAULT_ROOT_PASSWORD) {
    logger().warn('ROOT_PASSWORD is the public default: set ROOT_PASSWORD and change the root password');
  }
  const existing = await knex('auth').first('id');
  if (existing) return;
  const hash = await hashPassword(password);
  await knex.transaction(async (trx) => {
    const [id] = await trx('auth').insert({
      username: 'root',
      password: hash,
      token: randomBytes(32).toString('hex'),
      is_admin: true,
      is_banned: false,
    });
    await trx('quota').insert({ user_id: id, quota: 0, used: 0 });
  });
  logger().info('seeded the root admin user');
}
