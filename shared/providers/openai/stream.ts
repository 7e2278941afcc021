// OpenAI stream events: each `data:` frame is a chat.completion.chunk (or an `{"error":...}`
// object); `[DONE]` ends the answer. A stream that closes after a finish_reason without
// `[DONE]` is complete too (lenient, as most clients are).
import type { ChatCompletionChunk } from '../../wire/chat.js';
import type { StreamEvent, StreamStep } from '../types.js';
import { UpstreamError } from '../upstream-error.js';
import { errorFromStreamPayload } from './errors.js';

export interface OpenAIStreamState {
  /** A choice reported a finish_reason. */
  finished: boolean;
}

export function startOpenAIStream(): OpenAIStreamState {
  return { finished: false };
}

export function parseOpenAIStreamEvent(event: StreamEvent, state: OpenAIStreamState): StreamStep {
  const data = event.data.trim();
  if (data === '[DONE]') return { done: true };
  if (!data) return {};
  let payload: ChatCompletionChunk & { error?: unknown };
  try {
    payload = JSON.parse(data);
  } catch {
    return { error: new UpstreamError('network', 'upstream sent a malformed stream frame') };
  }
  if (payload.error) return { error: errorFromStreamPayload(payload) };
  const choices = Array.isArray(payload.choices) ? payload.choices : [];
  if (choices.some((choice) => choice.finish_reason)) state.finished = true;
  return {
    chunks: [{ choices, usage: payload.usage ?? null, fingerprint: payload.system_fingerprint ?? null }],
  };
}

export function endOpenAIStream(state: OpenAIStreamState): UpstreamError | null {
  return state.finished ? null : new UpstreamError('network', 'upstream stream ended unexpectedly');
}
