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

function frame(
  identity: CompletionIdentity,
  choices: ChunkChoice[],
  fingerprint: string | null | undefined,
  usage: Usage | null | undefined,
  quota: number | undefined,
): string {
  const chunk: ChatCompletionChunk & { quota?: number } = {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: fingerprint ?? null,
    choices,
  };
  if (usage !== undefined) chunk.usage = usage;
  if (quota !== undefined) chunk.quota = quota;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** A content chunk; with include_usage every chunk carries `usage: null`, as OpenAI's do. */
export function chunkFrame(
  identity: CompletionIdentity,
  choices: ChunkChoice[],
  fingerprint?: string | null,
  quota?: number,
): string {
  return frame(identity, choices, fingerprint, identity.includeUsage ? null : undefined, quota);
}

/** The final usage chunk: no choices, the usage object. */
export function usageFrame(
  identity: CompletionIdentity,
  usage: Usage,
  fingerprint?: string | null,
  quota?: number,
): string {
  return frame(identity, [], fingerprint, usage, quota);
}

export const DONE_FRAME = 'data: [DONE]\n\n';
export const KEEPALIVE_FRAME = ': keep-alive\n\n';

export function completionBody(
  identity: CompletionIdentity,
  choices: CompletionChoice[],
  usage: Usage,
  fingerprint?: string | null,
  quota?: number,
): ChatCompletion & { quota?: number } {
  const body: ChatCompletion & { quota?: number } = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices,
    usage,
    system_fingerprint: fingerprint ?? null,
  };
  if (quota !== undefined) body.quota = quota;
  return body;
}
