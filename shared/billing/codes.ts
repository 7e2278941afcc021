// Redeem codes (`nio-` + 32, single use) and invitation codes (`<type>-` + 24, one per type
// per user): generation, listing, and using one — marking it and crediting the balance in
// one transaction, so a code pays exactly once however many requests race for it.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { type Page, paginate } from '../pagination.js';
import { retryOnDeadlock } from './retry.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PAGE_SIZE = 10;

/** `length` characters of [A-Za-z0-9] from the CSPRNG (rejection sampling, no modulo bias). */
export function randomCode(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export const redeemCode = (): string => `nio-${randomCode(32)}`;
export const invitationCode = (type: string): string => `${type}-${randomCode(24)}`;

export type CodeResult = { ok: true; quota: string } | { ok: false; error: string };

async function credit(trx: Knex.Transaction, userId: number, amount: string): Promise<void> {
  await trx.raw(
    'INSERT INTO `quota` (`user_id`, `quota`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `quota` = `quota` + ?, `updated_at` = CURRENT_TIMESTAMP',
    [userId, amount, amount],
  );
}

function affected(result: unknown): number {
  return Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);
}

/** Uses a redeem code once: marks it used and credits its quota, atomically. */
export function useRedeemCode(knex: Knex, userId: number, code: string): Promise<CodeResult> {
  return retryOnDeadlock(() =>
    knex.transaction(async (trx): Promise<CodeResult> => {
      const marked = await trx.raw(
        'UPDATE `redeem` SET `used` = 1, `updated_at` = CURRENT_TIMESTAMP WHERE `code` = ? AND `used` = 0',
        [code],
      );
      const row = await trx('redeem').where({ code }).first('quota');
      if (affected(marked) === 0) {
        return { ok: false, error: row ? 'this redeem code has already been used' : 'invalid redeem code' };
      }
      await credit(trx, userId, row.quota);
      return { ok: true, quota: row.quota };
    }),
  );
}

/** Uses an invitation code: each code once, and one code per type per user (unique index). */
export function useInvitationCode(knex: Knex, userId: number, code: string): Promise<CodeResult> {
  return retryOnDeadlock(() =>
    knex.transaction(async (trx): Promise<CodeResult> => {
      const row = await trx('invitation').where({ code }).first('quota', 'type', 'used');
      if (!row) return { ok: false, error: 'invalid invitation code' };
      let marked: unknown;
      try {
        marked = await trx.raw(
          'UPDATE `invitation` SET `used` = 1, `used_id` = ?, `updated_at` = CURRENT_TIMESTAMP WHERE `code` = ? AND `used` = 0',
          [userId, code],
        );
      } catch (error) {
        if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
        return { ok: false, error: `you have already used an invitation code of type '${row.type}'` };
      }
      if (affected(marked) === 0) return { ok: false, error: 'this invitation code has already been used' };
      await credit(trx, userId, row.quota);
      return { ok: true, quota: row.quota };
    }),
  );
}

export async function generateRedeemCodes(knex: Knex, quota: number, count: number): Promise<string[]> {
  const codes = Array.from({ length: count }, redeemCode);
  await knex('redeem').insert(codes.map((code) => ({ code, quota: quota.toFixed(4) })));
  return codes;
}

export async function generateInvitationCodes(
  knex: Knex,
  type: string,
  quota: number,
  count: number,
): Promise<string[]> {
  const codes = Array.from({ length: count }, () => invitationCode(type));
  await knex('invitation').insert(codes.map((code) => ({ code, type, quota: quota.toFixed(4) })));
  return codes;
}

export type CodePage<T> = Page<T>;

type Row = Record<string, unknown>;

async function codePage(query: Knex.QueryBuilder, page: number): Promise<CodePage<Row>> {
  const result = await paginate<Row>(query, page, PAGE_SIZE);
  return { ...result, data: result.data.map((row) => ({ ...row, quota: Number(row.quota) })) };
}

export function listRedeemCodes(knex: Knex, page: number): Promise<CodePage<Row>> {
  const query = knex('redeem')
    .select('code', 'quota', 'used', 'created_at', 'updated_at')
    .orderBy('id', 'desc');
  return codePage(query, page);
}

/** Invitation codes with the username of whoever used each ('' when unused). */
export function listInvitationCodes(knex: Knex, page: number): Promise<CodePage<Row>> {
  const query = knex('invitation')
    .leftJoin('auth', 'auth.id', 'invitation.used_id')
    .select('invitation.code', 'invitation.quota', 'invitation.type', 'invitation.used')
    .select(knex.raw("COALESCE(`auth`.`username`, '') AS `username`"))
    .select('invitation.created_at', 'invitation.updated_at')
    .orderBy('invitation.id', 'desc');
  return codePage(query, page);
}

/** Deletes a code by value; false when there was none. */
export async function deleteCode(knex: Knex, table: 'redeem' | 'invitation', code: string): Promise<boolean> {
  return (await knex(table).where({ code }).delete()) > 0;
}
