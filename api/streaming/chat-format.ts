// Renders relay events as OpenAI objects: chat.completion.chunk frames for SSE and the
// chat.completion body for non-stream answers.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChunkChoice,
  CompletionChoice,
  Usage,
} from '../../shared/wire/chat.js';

export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
  /** The client asked for stream_options.include_usage: every chunk carries `usage`. */
  includeUsage: boolean;
}

export function completionIdentity(
  requestId: string,
  model: string,
  includeUsage: boolean,
): CompletionIdentity {
  return {
    id: `chatcmpl-${requestId.replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model,
    includeUsage,
  };
}

export function chunkFrame(
  identity: CompletionIdentity,
  choices: ChunkChoice[],
  fingerprint?: string | null,
): string {
  const chunk: ChatCompletionChunk = {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: fingerprint ?? null,
    choices,
  };
  if (identity.includeUsage) chunk.usage = null;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function usageFrame(identity: CompletionIdentity, usage: Usage, fingerprint?: string | null): string {
  const chunk: ChatCompletionChunk = {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: fingerprint ?? null,
    choices: [],
    usage,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const DONE_FRAME = 'data: [DONE]\n\n';
export const KEEPALIVE_FRAME = ': keep-alive\n\n';

export function completionBody(
  identity: CompletionIdentity,
  choices: CompletionChoice[],
  usage: Usage,
  fingerprint?: string | null,
): ChatCompletion {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices,
    usage,
    system_fingerprint: fingerprint ?? null,
  };
}
