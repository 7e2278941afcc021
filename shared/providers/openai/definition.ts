// The OpenAI chat capability, and the builder every OpenAI-compatible upstream (DeepSeek,
// Moonshot, Groq, OpenRouter, ...) is a small config over: extra headers and parameters the
// upstream rejects are its quirks.
import type { ChatCompletion } from '../../wire/chat.js';
import type { ChatCapability, ProviderDefinition } from '../types.js';
import { errorFromResponse } from './errors.js';
import { buildChatRequest } from './request.js';
import { completionToChunk } from './response.js';
import {
  endOpenAIStream,
  type OpenAIStreamState,
  parseOpenAIStreamEvent,
  startOpenAIStream,
} from './stream.js';

export interface OpenAICompatibleConfig {
  /** The channel type. */
  id: string;
  /** Headers every request carries besides authorization and content type. */
  headers?: Readonly<Record<string, string>>;
  /** Parameters this upstream refuses: removed before sending. */
  dropParameters?: readonly string[];
}

function withoutParameters(body: Record<string, unknown>, names: readonly string[] | undefined) {
  if (!names?.length) return body;
  const kept = { ...body };
  for (const name of names) delete kept[name];
  return kept;
}

export function openAIChat(
  config: Omit<OpenAICompatibleConfig, 'id'> = {},
): ChatCapability<OpenAIStreamState> {
  return {
    buildRequest(input) {
      const spec = buildChatRequest(
        input.endpoint,
        input.secret,
        withoutParameters(input.body, config.dropParameters),
      );
      return config.headers ? { ...spec, headers: { ...spec.headers, ...config.headers } } : spec;
    },
    parseResponse: (json) => [completionToChunk(json as ChatCompletion)],
    startStream: startOpenAIStream,
    parseStreamEvent: parseOpenAIStreamEvent,
    endStream: endOpenAIStream,
    parseError: errorFromResponse,
  };
}

export function openAICompatible(config: OpenAICompatibleConfig): ProviderDefinition {
  return { id: config.id, chat: openAIChat(config) as ChatCapability<never> };
}
