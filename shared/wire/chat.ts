// OpenAI chat completion wire types and the request schema. Unknown parameters pass
// through untouched (new OpenAI parameters must reach the upstream, not be dropped).
import { z } from 'zod';

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
    name: z.string().max(256).optional(),
    tool_calls: z.array(z.looseObject({})).max(1024).optional(),
    tool_call_id: z.string().max(256).optional(),
  })
  .loose();

const tool = z.looseObject({
  type: z.string(),
  function: z.looseObject({ name: z.string().min(1).max(256) }).optional(),
});

export const chatRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    // Only the body limit bounds content; counts are bounded so no shape costs more than its bytes.
    messages: z.array(message).min(1).max(100_000),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    n: z.number().int().min(1).max(128).nullish(),
    max_tokens: z.number().int().min(1).max(100_000_000).nullish(),
    max_completion_tokens: z.number().int().min(1).max(100_000_000).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    seed: z.number().int().nullish(),
    stop: z.union([z.string().max(4096), z.array(z.string().max(4096)).max(4)]).nullish(),
    tools: z.array(tool).max(1024).nullish(),
    tool_choice: z.union([z.string(), z.looseObject({})]).nullish(),
    response_format: z.looseObject({ type: z.string() }).nullish(),
    user: z.string().max(512).nullish(),
  })
  .loose();

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChoiceDelta {
  role?: string;
  content?: string | null;
  reasoning_content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  [key: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChoiceDelta;
  logprobs?: unknown;
  finish_reason: string | null;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  choices: ChunkChoice[];
  usage?: Usage | null;
}

export interface CompletionMessage {
  role: string;
  content: string | null;
  reasoning_content?: string;
  refusal: string | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
}

export interface CompletionChoice {
  index: number;
  message: CompletionMessage;
  logprobs: unknown;
  finish_reason: string | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint?: string | null;
  choices: CompletionChoice[];
  usage?: Usage;
}
