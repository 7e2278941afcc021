// Relay API keys: `sk-` + 64 hex (Chat Nio's format), one per user.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export const API_KEY_PATTERN = /^sk-[0-9a-f]{64}$/;

export function generateApiKey(): string {
  return `sk-${randomBytes(32).toString('hex')}`;
}

/** The user's key, made on first use (two concurrent first calls agree on one key). */
export async function ensureApiKey(knex: Knex, userId: number): Promise<string> {
  const existing = await knex('apikey').where({ user_id: userId }).first('api_key');
  if (existing) return String(existing.api_key);
  await knex.raw('INSERT IGNORE INTO `apikey` (`user_id`, `api_key`) VALUES (?, ?)', [
    userId,
    generateApiKey(),
  ]);
  const row = await knex('apikey').where({ user_id: userId }).first('api_key');
  return String(row.api_key);
}

/** A new key for the user; the old one stops working once caches are told. */
export async function replaceApiKey(knex: Knex, userId: number): Promise<string> {
  const key = generateApiKey();
  await knex.raw(
    'INSERT INTO `apikey` (`user_id`, `api_key`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `api_key` = VALUES(`api_key`)',
    [userId, key],
  );
  return key;
}
