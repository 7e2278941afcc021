// Mock provider completion plan: decides what one chat completion says (content / reasoning / tool-call pieces,
// finish reason, usage) from the request body and controls. Deterministic so tests can assert exact output.
import { lastUserText, type MockControls, messageText } from './controls.js';

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
  pieces: string[];
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface CompletionPlan {
  id: string;
  created: number;
  model: string;
  choiceCount: number;
  reasoningPieces: string[];
  /** Empty when the reply is a tool call. */
  contentPieces: string[];
  toolCalls: PlannedToolCall[];
  finishReason: string;
  usage: CompletionUsage;
}

export interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  n?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}

export const defaultModel = 'mock-model';
export const defaultToolName = 'get_weather';
const toolArgumentSamples = ['Paris', 'London', 'Tokyo', 'Lima'].map((city) =>
  JSON.stringify({ city, unit: 'c' }),
);

/** The content piece of chunk `index`: `w{index} `, or `{text} ` when the `text` control is set. */
export function contentPiece(index: number, text: string | null): string {
  return text === null ? `w${index} ` : `${text} `;
}

/** Full content a successful text reply carries for these controls (the concatenation of all chunks). */
export function expectedContent(chunks: number, text: string | null = null): string {
  let content = '';
  for (let index = 0; index < chunks; index++) content += contentPiece(index, text);
  return content;
}

/** Whitespace-separated words across all message contents plus 3 per message. */
export function countPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let tokens = 0;
  for (const message of messages) {
    tokens += 3;
    tokens += countWords(messageText((message as { content?: unknown } | null)?.content));
  }
  return tokens;
}

function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const isSpace = code === 32 || (code >= 9 && code <= 13) || code === 160;
    if (!isSpace && !inWord) words++;
    inWord = !isSpace;
  }
  return words;
}

function splitPieces(text: string, count: number): string[] {
  const pieceCount = Math.max(1, Math.min(count, text.length));
  const size = Math.ceil(text.length / pieceCount);
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

function requestedToolNames(body: ChatRequestBody): string[] {
  const choice = body.tool_choice as { function?: { name?: unknown } } | undefined;
  if (choice && typeof choice === 'object' && typeof choice.function?.name === 'string') {
    return [choice.function.name];
  }
  if (!Array.isArray(body.tools)) return [];
  const names: string[] = [];
  for (const tool of body.tools as { function?: { name?: unknown }; name?: unknown }[]) {
    const name = tool?.function?.name ?? tool?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

function wantsToolCall(body: ChatRequestBody, controls: MockControls): boolean {
  if (controls.tools !== null) return controls.tools;
  if (!Array.isArray(body.tools) || body.tools.length === 0 || body.tool_choice === 'none') return false;
  if (body.tool_choice === 'required' || (body.tool_choice && typeof body.tool_choice === 'object'))
    return true;
  return lastUserText(body.messages).includes('call_tool');
}

/** Builds the plan for request number `seq`. */
export function planCompletion(body: ChatRequestBody, controls: MockControls, seq: number): CompletionPlan {
  const choiceCount = typeof body.n === 'number' && body.n > 1 ? Math.min(Math.floor(body.n), 128) : 1;
  const reasoningPieces: string[] = [];
  for (let index = 0; index < controls.reasoning; index++) reasoningPieces.push(`r${index} `);
  const contentPieces: string[] = [];
  const toolCalls: PlannedToolCall[] = [];
  let perChoiceTokens = reasoningPieces.length;
  if (wantsToolCall(body, controls)) {
    const names = requestedToolNames(body);
    for (let index = 0; index < controls.toolCount; index++) {
      const argumentsText = toolArgumentSamples[index % toolArgumentSamples.length];
      const pieces = splitPieces(argumentsText, Math.max(1, controls.chunks));
      perChoiceTokens += pieces.length;
      toolCalls.push({
        id: `call_mock${seq}x${index}`,
        name: names.length > 0 ? names[index % names.length] : defaultToolName,
        arguments: argumentsText,
        pieces,
      });
    }
  } else {
    for (let index = 0; index < controls.chunks; index++)
      contentPieces.push(contentPiece(index, controls.text));
    perChoiceTokens += contentPieces.length;
  }
  const promptTokens = countPromptTokens(body.messages);
  const completionTokens = perChoiceTokens * choiceCount;
  return {
    id: `chatcmpl-mock${seq}`,
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' && body.model !== '' ? body.model : defaultModel,
    choiceCount,
    reasoningPieces,
    contentPieces,
    toolCalls,
    finishReason: controls.finish ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: reasoningPieces.length * choiceCount },
    },
  };
}
