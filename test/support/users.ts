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

/** Waits for the usage row the worker writes when it settles a request (after the response). */
export async function usageRecordOf(requestId: string): Promise<Record<string, any>> {
  for (let i = 0; i < 100; i++) {
    const row = await db()('usage_record').where('request_id', requestId).first();
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no usage record for ${requestId}`);
}

/** A user with a real password and balance, logged in through POST /login. */
export async function createLoggedInUser(
  base: string,
  label: string,
  balance: string,
  passwordHash: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<{ id: number; token: string }> {
  const username = `${label}-${randomBytes(3).toString('hex')}`;
  const [id] = await db()('auth').insert({
    username,
    password: passwordHash,
    token: randomBytes(16).toString('hex'),
  });
  await db()('quota').insert({ user_id: id, quota: balance });
  const response = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
  const login = (await response.json()) as { status: boolean; token?: string };
  if (!login.status) throw new Error(`login failed: ${JSON.stringify(login)}`);
  return { id: Number(id), token: String(login.token) };
}
