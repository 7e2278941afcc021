// Web search before a chat turn: the last user message is searched (SearXNG, the `search`
// settings) and the results, or what went wrong, go first as a system message.
import { searchMessage, searchWeb } from '../../shared/search/searxng.js';
import type { ChatRequestBody } from '../../shared/wire/chat.js';
import type { ApiContext } from '../context.js';

/** The text a message carries (string content, or the text parts of an array). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join(' ');
}

export async function withWebSearch(context: ApiContext, body: ChatRequestBody): Promise<ChatRequestBody> {
  const question = [...body.messages].reverse().find((message) => message.role === 'user');
  const query = textOf(question?.content).trim().slice(0, 500);
  if (!query) return body;
  const outcome = await searchWeb(context.settings.get().search, query);
  return { ...body, messages: [{ role: 'system', content: searchMessage(outcome) }, ...body.messages] };
}
