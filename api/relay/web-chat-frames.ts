// The /chat protocol's frames (Chat Nio): the client's frames validated, the server's frame
// with every field always present (its front end reads `message` as a string on every
// frame), the context window, and mask contexts.
import { z } from 'zod';
import type { StoredMessage } from '../../shared/conversations/store.js';

export const CLIENT_TYPES = ['chat', 'stop', 'restart', 'share', 'mask', 'edit', 'remove'] as const;

/** Messages sent upstream when a frame does not say (Chat Nio's default context). */
export const DEFAULT_CONTEXT = 8;
const MAX_CONTEXT = 1000;
const number = z.number().finite().nullish();

export const handshakeSchema = z.object({
  token: z.string().max(4096).default(''),
  id: z.coerce.number().int().min(-1).max(4_294_967_295).default(-1),
  ref: z.string().max(64).optional(),
});

/** Unknown fields (the Pro front end's extras) are dropped. */
export const clientFrameSchema = z.object({
  type: z.union([z.enum(CLIENT_TYPES), z.literal('ping'), z.literal('')]).default('chat'),
  message: z.string().default(''),
  model: z.string().max(256).default(''),
  web: z.boolean().default(false),
  context: z.number().int().min(0).max(MAX_CONTEXT).default(DEFAULT_CONTEXT),
  ignore_context: z.boolean().default(false),
  max_tokens: z.number().int().min(1).max(100_000_000).nullish(),
  temperature: number,
  top_p: number,
  top_k: number,
  presence_penalty: number,
  frequency_penalty: number,
  repetition_penalty: number,
});

export type ClientFrame = Omit<z.infer<typeof clientFrameSchema>, 'type'> & {
  type: (typeof CLIENT_TYPES)[number];
};

export interface ChatFrame {
  conversation: number;
  quota: number;
  keyword: string;
  message: string;
  end: boolean;
  plan: boolean;
}

export function chatFrame(fields: Partial<ChatFrame>): ChatFrame {
  return { conversation: 0, quota: 0, keyword: '', message: '', end: false, plan: false, ...fields };
}

/** The last `context` messages (only the last with `ignore_context`), as Chat Nio sends them. */
export function contextWindow(messages: StoredMessage[], context: number, ignore: boolean): StoredMessage[] {
  const length = ignore ? 1 : context > 0 ? context : DEFAULT_CONTEXT;
  return messages.slice(-length);
}

/** A mask frame's `message`: a JSON array of {role, content}; anything else is ignored. */
export function parseMaskContext(message: string): StoredMessage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter(
      (item): item is { role: string; content: string } =>
        typeof item === 'object' &&
        item !== null &&
        ['system', 'user', 'assistant'].includes((item as { role?: unknown }).role as string) &&
        typeof (item as { content?: unknown }).content === 'string',
    )
    .slice(0, MAX_CONTEXT)
    .map((item) => ({ role: item.role, content: item.content }));
}
