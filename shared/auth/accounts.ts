// User accounts: login, registration (initial quota, optional email code), /verify codes,
// password reset, and the user's own info and balance. Routes sign the JWT from SessionUser.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { errors } from '../errors.js';
import { logger } from '../log.js';
import { mailConfigured, sendMail } from '../mail/send.js';
import type { RedisKeys } from '../redis-keys.js';
import type { SettingsStore } from '../settings/store.js';
import { hashPassword, isLegacyHash, verifyAgainstDecoy, verifyPassword } from './password.js';
import { sessionStamp } from './session-stamp.js';
import { consumeCode, issueCode, normalizeEmail, revokeCode } from './verify-code.js';

export interface AccountDeps {
  knex: Knex;
  redis: Redis;
  keys: RedisKeys;
  settings: SettingsStore;
  /** HMAC key for emailed codes (the JWT secret). */
  secret: string;
  /** Drops the user's cached identity in every process (credentials or ban changed). */
  forget(userId: number): Promise<void>;
}

/** What a JWT is signed from. */
export interface SessionUser {
  id: number;
  username: string;
  stamp: string;
}

export interface RegisterInput {
  username: string;
  password: string;
  email: string;
  code?: string;
}

const DAY_MS = 86_400_000;

/** A DECIMAL from MySQL (a string) or any numeric value as a number; null/garbage is 0. */
export function toAmount(value: unknown): number {
  const amount = Number(value ?? 0);
  return Number.isFinite(amount) ? amount : 0;
}

function sessionUser(row: { id: number; username: string; password: string; token: string }): SessionUser {
  return { id: Number(row.id), username: String(row.username), stamp: sessionStamp(row.password, row.token) };
}

function codeStore(deps: AccountDeps) {
  return { redis: deps.redis, keys: deps.keys, secret: deps.secret };
}

/** The user to sign a JWT for, or the refusal (answered as Chat Nio's bare `{status:false, error}`). */
export async function loginUser(
  deps: AccountDeps,
  username: string,
  password: string,
): Promise<SessionUser | { error: string }> {
  const user = await deps.knex('auth').where({ username }).orWhere({ email: username }).first();
  const valid = user ? await verifyPassword(user.password, password) : await verifyAgainstDecoy(password);
  if (!user || !valid) return { error: 'invalid username or password' };
  if (user.is_banned) return { error: 'this account is banned' };
  if (!isLegacyHash(user.password)) return sessionUser(user);
  // Upgrade Chat Nio's unsalted hash once; a concurrent login may win, so sign from the stored one.
  const upgraded = await deps
    .knex('auth')
    .where({ id: user.id, password: user.password })
    .update({ password: await hashPassword(password) });
  if (upgraded) await deps.forget(user.id);
  return sessionUser(
    await deps.knex('auth').where({ id: user.id }).first('id', 'username', 'password', 'token'),
  );
}

/** Which unique key a duplicate-entry error hit, or null for any other error. */
function duplicateKey(error: unknown): 'username' | 'email' | null {
  const { code, sqlMessage } = error as { code?: string; sqlMessage?: string };
  if (code !== 'ER_DUP_ENTRY') return null;
  const key = /for key '([^']*)'$/.exec(sqlMessage ?? '')?.[1] ?? '';
  return key.endsWith('email_unique') ? 'email' : 'username';
}

const TAKEN = { username: 'username is already taken', email: 'email is already registered' };

export async function registerUser(deps: AccountDeps, input: RegisterInput): Promise<SessionUser> {
  const settings = deps.settings.get();
  if (settings.site.close_register) throw errors.invalidRequest('registration is closed');
  const email = normalizeEmail(input.email);
  // Friendly answers for the common case; the unique indexes decide under a race (below).
  if (await deps.knex('auth').where({ username: input.username }).first('id'))
    throw errors.invalidRequest(TAKEN.username, 'username');
  if (await deps.knex('auth').where({ email }).first('id')) throw errors.invalidRequest(TAKEN.email, 'email');
  if (mailConfigured(settings.mail)) {
    if (!input.code)
      throw errors.invalidRequest('a verification code is required: request one at /verify', 'code');
    if (!(await consumeCode(codeStore(deps), email, input.code)))
      throw errors.invalidRequest('invalid or expired verification code', 'code');
  }
  const row = { username: input.username, email, password: await hashPassword(input.password) };
  const token = randomBytes(32).toString('hex');
  try {
    const id = await deps.knex.transaction(async (trx) => {
      const [userId] = await trx('auth').insert({ ...row, token, is_admin: false, is_banned: false });
      await trx('quota').insert({ user_id: userId, quota: settings.site.quota, used: 0 });
      return Number(userId);
    });
    return sessionUser({ id, username: row.username, password: row.password, token });
  } catch (error) {
    const field = duplicateKey(error);
    if (field) throw errors.invalidRequest(TAKEN[field], field);
    throw error;
  }
}

/** Mails a 6-digit code (5 minutes) to the address; one per address per minute. */
export async function sendVerifyCode(deps: AccountDeps, rawEmail: string): Promise<void> {
  const { mail, site } = deps.settings.get();
  if (!mailConfigured(mail)) throw errors.invalidRequest('mail is not configured');
  const email = normalizeEmail(rawEmail);
  const code = await issueCode(codeStore(deps), email);
  if (!code) throw errors.invalidRequest('a code was sent recently: wait a minute before asking again');
  const text = `Your ${site.title} verification code is ${code}. It expires in 5 minutes.`;
  try {
    await sendMail(mail, email, `${site.title} verification code`, text);
  } catch (error) {
    await revokeCode(codeStore(deps), email);
    logger().warn({ err: error }, 'verification mail failed');
    throw errors.invalidRequest('the verification mail could not be sent');
  }
}

/** Sets a new password for the email's owner; the code is single use. Old JWTs stop at once. */
export async function resetPassword(
  deps: AccountDeps,
  input: { email: string; code: string; password: string },
): Promise<void> {
  const email = normalizeEmail(input.email);
  if (!(await consumeCode(codeStore(deps), email, input.code)))
    throw errors.invalidRequest('invalid or expired verification code', 'code');
  const user = await deps.knex('auth').where({ email }).first('id');
  if (!user) throw errors.invalidRequest('no account uses this email', 'email');
  await deps
    .knex('auth')
    .where({ id: user.id })
    .update({ password: await hashPassword(input.password) });
  await deps.forget(user.id);
}

export async function userInfo(knex: Knex, userId: number) {
  const row = await knex('auth')
    .leftJoin('quota', 'quota.user_id', 'auth.id')
    .leftJoin('subscription', 'subscription.user_id', 'auth.id')
    .where('auth.id', userId)
    .first('auth.id', 'auth.email', 'auth.created_at', 'quota.used', 'subscription.total_month');
  if (!row) throw errors.notFound('user not found');
  const created = row.created_at ? new Date(row.created_at).getTime() : Date.now();
  return {
    id: Number(row.id),
    register_days: Math.max(0, Math.floor((Date.now() - created) / DAY_MS)),
    used_quota: toAmount(row.used),
    plan_total_month: Number(row.total_month ?? 0),
    email: row.email ?? '',
  };
}

export async function userExists(knex: Knex, userId: number): Promise<boolean> {
  return Boolean(await knex('auth').where({ id: userId }).first('id'));
}

/** The balance and what was spent, in points (display). */
export async function userBalance(knex: Knex, userId: number): Promise<{ quota: number; used: number }> {
  const row = await knex('quota').where({ user_id: userId }).first('quota', 'used');
  return { quota: toAmount(row?.quota), used: toAmount(row?.used) };
}

export async function userQuota(knex: Knex, userId: number): Promise<number> {
  const row = await knex('quota').where({ user_id: userId }).first('quota');
  return toAmount(row?.quota);
}
