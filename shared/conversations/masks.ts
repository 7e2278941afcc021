// Masks (presets) in Chat Nio's `mask` table: a user's named context messages that start a
// conversation. Every query is scoped to the owner; a user has at most MAX_MASKS of them.
import type { Knex } from 'knex';
import { parseMessages, type StoredMessage } from './messages.js';

export interface MaskRecord {
  id: number;
  avatar: string;
  name: string;
  description: string;
  context: StoredMessage[];
}

/** What a save sends: `id` -1 creates a mask. */
export type MaskInput = MaskRecord;

export type MaskResult = { ok: true; id: number } | { ok: false; error: string };

/** Masks per user (keeps the list a bounded answer). */
export const MAX_MASKS = 200;

const maskOf = (row: Record<string, unknown>): MaskRecord => ({
  id: Number(row.id),
  avatar: String(row.avatar ?? ''),
  name: String(row.name ?? ''),
  description: String(row.description ?? ''),
  context: parseMessages(row.context),
});

/** The user's masks, newest first. */
export async function listMasks(knex: Knex, userId: number): Promise<MaskRecord[]> {
  const rows = await knex('mask')
    .where('user_id', userId)
    .orderBy('id', 'desc')
    .limit(MAX_MASKS)
    .select('id', 'avatar', 'name', 'description', 'context');
  return rows.map(maskOf);
}

/** A user's mask (preset) context messages by mask id, or null (only their own masks). */
export async function loadMaskContext(
  knex: Knex,
  userId: number,
  maskId: number,
): Promise<StoredMessage[] | null> {
  const row = await knex('mask').where({ id: maskId, user_id: userId }).first('context');
  return row ? parseMessages(row.context) : null;
}

/** Creates (id -1) or updates one of the user's masks. */
export async function saveMask(knex: Knex, userId: number, mask: MaskInput): Promise<MaskResult> {
  const fields = {
    avatar: mask.avatar,
    name: mask.name,
    description: mask.description,
    context: JSON.stringify(mask.context),
    updated_at: knex.fn.now(),
  };
  if (mask.id !== -1) {
    const changed = await knex('mask').where({ id: mask.id, user_id: userId }).update(fields);
    return changed > 0 ? { ok: true, id: mask.id } : { ok: false, error: 'mask not found' };
  }
  return knex.transaction(async (trx): Promise<MaskResult> => {
    // The owner's row is locked so concurrent saves cannot pass the cap together.
    await trx('auth').where('id', userId).forUpdate().first('id');
    const counted = await trx('mask').where('user_id', userId).count({ count: '*' }).first();
    if (Number(counted?.count ?? 0) >= MAX_MASKS) return { ok: false, error: `at most ${MAX_MASKS} masks` };
    const [id] = await trx('mask').insert({ ...fields, user_id: userId });
    return { ok: true, id: Number(id) };
  });
}

/** false when the user has no mask with that id. */
export async function deleteMask(knex: Knex, userId: number, id: number): Promise<boolean> {
  return (await knex('mask').where({ id, user_id: userId }).delete()) > 0;
}
