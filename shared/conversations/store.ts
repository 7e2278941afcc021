// Conversation storage in Chat Nio's `conversation` table, keyed by (user_id, conversation_id):
// load, create (next free id), save, list, rename, delete. Every query is scoped to one user.
// Shares and masks live beside it (sharing.ts, masks.ts) and are re-exported here.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { isDeadlock } from '../billing/retry.js';
import { errors } from '../errors.js';
import { MAX_INT, utf8Bytes } from '../input-bounds.js';
import { DEFAULT_MODEL, extract, parseMessages, type StoredMessage } from './messages.js';
import { deleteSharesOf } from './sharing.js';

export {
  AUTO_NAME_LENGTH,
  conversationName,
  DEFAULT_MODEL,
  NEW_CONVERSATION_NAME,
  parseMessages,
  type StoredMessage,
} from './messages.js';
export { listMasks, loadMaskContext, type MaskRecord } from './masks.js';
export { loadShare, type SharedConversation } from './sharing.js';

export interface ConversationRecord {
  userId: number;
  id: number;
  name: string;
  messages: StoredMessage[];
  model: string;
}

/** The newest conversations a list shows (Chat Nio: 100). */
export const LIST_LIMIT = 100;
/** Bytes of the MEDIUMTEXT `data` column. */
export const DATA_BYTES = 16_777_215;
/** Characters of the VARCHAR(255) name and model columns. */
export const NAME_LENGTH = 255;
const CREATE_ATTEMPTS = 100;

const own = (userId: number, id: number) => ({ user_id: userId, conversation_id: id });

/** null when the user has no conversation with that id. */
export async function loadConversation(
  knex: Knex,
  userId: number,
  id: number,
): Promise<ConversationRecord | null> {
  const row = await knex('conversation').where(own(userId, id)).first('conversation_name', 'data', 'model');
  if (!row) return null;
  return {
    userId,
    id,
    name: String(row.conversation_name ?? ''),
    messages: parseMessages(row.data),
    model: row.model === null || row.model === undefined ? DEFAULT_MODEL : String(row.model),
  };
}

function rowOf(knex: Knex, record: ConversationRecord) {
  const data = JSON.stringify(record.messages);
  if (utf8Bytes(data) > DATA_BYTES)
    throw errors.invalidRequest('The conversation is too long to be saved.', null, 'conversation_too_large');
  return {
    ...own(record.userId, record.id),
    conversation_name: extract(record.name, NAME_LENGTH),
    data,
    model: extract(record.model, NAME_LENGTH),
    updated_at: knex.fn.now(),
  };
}

const isDuplicate = (error: unknown) => (error as { code?: string } | null)?.code === 'ER_DUP_ENTRY';

/** A new conversation with the next free id of that user (MAX(conversation_id)+1, race-safe: retry on the unique key), saved at once. */
export async function createConversation(
  knex: Knex,
  userId: number,
  name: string,
  model: string,
): Promise<ConversationRecord> {
  for (let attempt = 1; ; attempt += 1) {
    const row = await knex('conversation').where('user_id', userId).max({ last: 'conversation_id' }).first();
    const id = Math.max(0, Number(row?.last ?? 0)) + 1;
    if (id > MAX_INT) throw errors.invalidRequest('No conversation id is left for this user.');
    const record: ConversationRecord = { userId, id, name, messages: [], model };
    try {
      await knex('conversation').insert(rowOf(knex, record));
      return { ...record, name: extract(name, NAME_LENGTH), model: extract(model, NAME_LENGTH) };
    } catch (error) {
      // Another request took this id first: read the maximum again.
      if (!(isDuplicate(error) || isDeadlock(error)) || attempt >= CREATE_ATTEMPTS) throw error;
      await sleep(Math.random() * Math.min(attempt, 10));
    }
  }
}

/** Upsert by (user_id, conversation_id): name, data (JSON of messages), model. */
export async function saveConversation(knex: Knex, record: ConversationRecord): Promise<void> {
  await knex('conversation')
    .insert(rowOf(knex, record))
    .onConflict(['user_id', 'conversation_id'])
    .merge(['conversation_name', 'data', 'model', 'updated_at']);
}

/** The user's newest conversations (by id), as the side bar lists them. */
export async function listConversations(knex: Knex, userId: number): Promise<{ id: number; name: string }[]> {
  const rows = await knex('conversation')
    .where('user_id', userId)
    .orderBy('conversation_id', 'desc')
    .limit(LIST_LIMIT)
    .select('conversation_id', 'conversation_name');
  return rows.map((row) => ({ id: Number(row.conversation_id), name: String(row.conversation_name ?? '') }));
}

/** false when the user has no conversation with that id. */
export async function renameConversation(
  knex: Knex,
  userId: number,
  id: number,
  name: string,
): Promise<boolean> {
  // mysql2 connects with FOUND_ROWS: an unchanged name still counts its row.
  const matched = await knex('conversation')
    .where(own(userId, id))
    .update({ conversation_name: extract(name, NAME_LENGTH), updated_at: knex.fn.now() });
  return matched > 0;
}

/**
 * Deletes one conversation (or, without an id, all of the user's) with its share links: ids
 * are reused (MAX+1), so a link left behind would show whatever conversation takes the id next.
 */
export function deleteConversations(knex: Knex, userId: number, id?: number): Promise<number> {
  return knex.transaction(async (trx) => {
    const deleted = await trx('conversation')
      .where(id === undefined ? { user_id: userId } : own(userId, id))
      .delete();
    await deleteSharesOf(trx, userId, id);
    return deleted;
  });
}
