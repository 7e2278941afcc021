// The JWT signing secret: SECRET when set (warned about when short); otherwise a random
// secret generated once and kept in the setting table, so every process agrees.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { config } from '../config.js';
import { logger } from '../log.js';

const SETTING_KEY = 'jwt_secret';

export async function resolveJwtSecret(knex: Knex): Promise<string> {
  const fromEnv = config().SECRET;
  if (fromEnv) {
    if (Buffer.byteLength(fromEnv) < 32)
      logger().warn('SECRET is shorter than 32 bytes: use a longer random value');
    return fromEnv;
  }
  await knex.raw('INSERT IGNORE INTO `setting` (`key`, `value`) VALUES (?, ?)', [
    SETTING_KEY,
    JSON.stringify(randomBytes(48).toString('base64url')),
  ]);
  const row = await knex('setting').where({ key: SETTING_KEY }).first('value');
  return JSON.parse(row.value) as string;
}
