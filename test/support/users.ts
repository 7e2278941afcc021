// Test users made directly in the database: an account, a balance and an API key.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { generateApiKey } from '../../shared/auth/api-key.js';
import { db } from '../../shared/db.js';

export interface TestUser {
  id: number;
  username: string;
  key: string;
}

let counter = 0;

export function createPayingUser(balance: number, label = 'payer'): Promise<TestUser> {
  return createPayingUserIn(db(), balance, label);
}

/** The same in another database (process tests run their own). */
export async function createPayingUserIn(knex: Knex, balance: number, label = 'payer'): Promise<TestUser> {
  counter += 1;
  const username = `${label}${counter}${randomBytes(3).toString('hex')}`.slice(0, 24);
  const key = generateApiKey();
  const id = await knex.transaction(async (trx) => {
    const [userId] = await trx('auth').insert({
      username,
      password: 'x'.repeat(64),
      token: randomBytes(16).toString('hex'),
      is_admin: false,
    });
    await trx('quota').insert({ user_id: userId, quota: balance.toFixed(6), used: 0 });
    await trx('apikey').insert({ user_id: userId, api_key: key });
    return userId as number;
  });
  return { id, username, key };
}

export async function balanceOf(userId: number): Promise<{ quota: number; used: number }> {
  const row = await db()('quota').where('user_id', userId).first('quota', 'used');
  return { quota: Number(row.quota), used: Number(row.used) };
}
