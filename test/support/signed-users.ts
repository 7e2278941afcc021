// A test user (account, balance, API key) with a web session JWT signed by the running api,
// as /login would issue it, without paying for a password hash.
import { signToken } from '../../api/auth/jwt.js';
import { sessionStamp } from '../../shared/auth/session-stamp.js';
import { db } from '../../shared/db.js';
import type { Harness } from './harness.js';
import { createPayingUser, type TestUser } from './users.js';

export interface SignedUser extends TestUser {
  token: string;
}

export async function createSignedUser(h: Harness, label: string, balance = 0): Promise<SignedUser> {
  const user = await createPayingUser(balance, label);
  const row = await db()('auth').where('id', user.id).first('password', 'token');
  const stamp = sessionStamp(row.password, row.token);
  return {
    ...user,
    token: signToken({ id: user.id, username: user.username, stamp }, h.api.context.jwtSecret),
  };
}
