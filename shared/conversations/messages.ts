// Chat Nio's stored message list (conversation.data, mask.context): lenient parsing of what an
// adopted database may hold (unknown fields kept, bad JSON an empty list) and the auto-name rule.

/** One message as Chat Nio stores it in conversation.data (JSON array), plus the fields its front end reads. */
export interface StoredMessage {
  role: string;
  content: string;
  name?: string;
  tool_calls?: unknown;
  tool_call_id?: string;
  reasoning_content?: string;
  keyword?: string;
  quota?: number;
  end?: boolean;
  plan?: boolean;
}

export const NEW_CONVERSATION_NAME = 'new chat';
/** Chat Nio's model for rows without one (globals.GPT3Turbo). */
export const DEFAULT_MODEL = 'gpt-3.5-turbo';
/** Code points of an automatic name before `...` (Go: `Extract(name, 50, "...")`). */
export const AUTO_NAME_LENGTH = 50;

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One stored element as a message, or null when it is not an object. */
function asMessage(value: unknown): StoredMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  return { ...fields, role: asText(fields.role), content: asText(fields.content) } as StoredMessage;
}

/** The messages stored in a JSON text column; anything unreadable is an empty list. */
export function parseMessages(data: unknown): StoredMessage[] {
  if (typeof data !== 'string' && !Buffer.isBuffer(data)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.map(asMessage).filter((message): message is StoredMessage => message !== null);
}

/** The first `length` code points of `text`, plus `ellipsis` when it was longer (Go's utils.Extract). */
export function extract(text: string, length: number, ellipsis = ''): string {
  const points = Array.from(text);
  return points.length > length ? points.slice(0, length).join('') + ellipsis : text;
}

/** A conversation's automatic name from its first user message (blank: the default name). */
export function conversationName(firstUserMessage: string): string {
  const name = extract(firstUserMessage, AUTO_NAME_LENGTH, '...');
  return name.trim() === '' ? NEW_CONVERSATION_NAME : name;
}
