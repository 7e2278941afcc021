// Share links in Chat Nio's `sharing` table: a 32-hex hash exposing a conversation's messages,
// all of them (refs "-1") or the listed indexes ("0,2,3"). Sharing the same conversation and
// refs again returns the same link; the public view joins the owner's name and conversation.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { parseMessages, type StoredMessage } from './messages.js';

export interface SharedConversation {
  name: string;
  model: string;
  messages: StoredMessage[];
  username: string;
  time: string;
}

export interface ShareListItem {
  name: string;
  conversation_id: number;
  hash: string;
  time: string;
}

export type ShareResult = { ok: true; hash: string } | { ok: false; error: string };

/** Refs meaning "every message". */
export const ALL_MESSAGES = -1;
export const SHARE_LIST_LIMIT = 100;

/** Stored refs text: "-1" when any ref is -1 (Chat Nio then shows everything), else "i,j,...". */
export function refsText(refs: readonly number[]): string {
  return refs.includes(ALL_MESSAGES) ? String(ALL_MESSAGES) : refs.join(',');
}

/** The messages stored refs select; indexes that no longer exist are skipped. */
export function selectMessages(messages: StoredMessage[], refs: string): StoredMessage[] {
  const selected: StoredMessage[] = [];
  for (const part of refs.split(',')) {
    const text = part.trim();
    if (!/^-?\d+$/.test(text)) continue;
    const index = Number(text);
    if (index === ALL_MESSAGES) return messages;
    if (index >= 0 && index < messages.length) selected.push(messages[index]);
  }
  return selected;
}

/** Joins a share to the conversation it points at (same user, same conversation id). */
function sameConversation(this: Knex.JoinClause): void {
  this.on('conversation.user_id', 'sharing.user_id').andOn(
    'conversation.conversation_id',
    'sharing.conversation_id',
  );
}

const timeText = (value: unknown): string => {
  const time = value instanceof Date ? value : new Date(String(value ?? ''));
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
};

/**
 * Shares one of the user's conversations. The conversation row is locked so concurrent shares
 * of it agree on one link; an index past the last message is refused.
 */
export function shareConversation(
  knex: Knex,
  userId: number,
  conversationId: number,
  refs: readonly number[],
): Promise<ShareResult> {
  return knex.transaction(async (trx): Promise<ShareResult> => {
    const conversation = await trx('conversation')
      .where({ user_id: userId, conversation_id: conversationId })
      .forUpdate()
      .first('data');
    if (!conversation) return { ok: false, error: 'conversation not found' };
    const count = parseMessages(conversation.data).length;
    const outside = refs.find((ref) => ref !== ALL_MESSAGES && ref >= count);
    if (outside !== undefined) return { ok: false, error: `message ${outside} does not exist` };
    const text = refsText(refs);
    const scope = { user_id: userId, conversation_id: conversationId };
    const existing = await trx('sharing').where(scope).andWhere('refs', text).first('hash');
    if (existing) {
      await trx('sharing').where('hash', existing.hash).update({ updated_at: trx.fn.now() });
      return { ok: true, hash: String(existing.hash) };
    }
    // Random, not Chat Nio's MD5 of (user, conversation, refs): those could be enumerated.
    const hash = randomBytes(16).toString('hex');
    await trx('sharing').insert({ ...scope, hash, refs: text, updated_at: trx.fn.now() });
    return { ok: true, hash };
  });
}

/** The messages a share hash exposes (its refs applied), with its name and model; null for an unknown hash. */
export async function loadShare(knex: Knex, hash: string): Promise<SharedConversation | null> {
  const row = await knex('sharing')
    .join('auth', 'auth.id', 'sharing.user_id')
    .join('conversation', sameConversation)
    .where('sharing.hash', hash)
    .first(
      'auth.username',
      'sharing.refs',
      'sharing.updated_at',
      'conversation.conversation_name',
      'conversation.model',
      'conversation.data',
    );
  if (!row) return null;
  return {
    name: String(row.conversation_name ?? ''),
    model: String(row.model ?? ''),
    messages: selectMessages(parseMessages(row.data), String(row.refs ?? '')),
    username: String(row.username),
    time: timeText(row.updated_at),
  };
}

/** The user's share links, newest first (Chat Nio: 100). */
export async function listShares(knex: Knex, userId: number): Promise<ShareListItem[]> {
  const rows = await knex('sharing')
    .join('conversation', sameConversation)
    .where('sharing.user_id', userId)
    .orderBy([
      { column: 'sharing.updated_at', order: 'desc' },
      { column: 'sharing.id', order: 'desc' },
    ])
    .limit(SHARE_LIST_LIMIT)
    .select(
      'conversation.conversation_name',
      'sharing.conversation_id',
      'sharing.hash',
      'sharing.updated_at',
    );
  return rows.map((row) => ({
    name: String(row.conversation_name ?? ''),
    conversation_id: Number(row.conversation_id),
    hash: String(row.hash),
    time: timeText(row.updated_at),
  }));
}

/** false when the user has no share with that hash. */
export async function deleteShare(knex: Knex, userId: number, hash: string): Promise<boolean> {
  return (await knex('sharing').where({ user_id: userId, hash }).delete()) > 0;
}

/** Removes the share links of one conversation of the user, or of all of them. */
export async function deleteSharesOf(knex: Knex, userId: number, conversationId?: number): Promise<void> {
  const scope =
    conversationId === undefined ? { user_id: userId } : { user_id: userId, conversation_id: conversationId };
  await knex('sharing').where(scope).delete();
}
