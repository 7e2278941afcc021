// OpenAI response mapping: a non-streamed chat.completion (some compatible upstreams ignore
// stream:true) becomes one normalized chunk per choice.
import type { ChatCompletion, ChunkChoice } from '../../wire/chat.js';
import type { UpstreamChunk } from '../types.js';
import { UpstreamError } from '../upstream-error.js';

export function completionToChunk(completion: ChatCompletion): UpstreamChunk {
  if (!Array.isArray(completion?.choices))
    throw new UpstreamError('network', 'upstream returned a malformed completion');
  const choices: ChunkChoice[] = completion.choices.map((choice) => {
    const { role, content, reasoning_content, refusal, tool_calls, ...rest } = choice.message ?? {};
    const delta: ChunkChoice['delta'] = { role: role ?? 'assistant', ...rest };
    if (content !== undefined) delta.content = content;
    if (reasoning_content) delta.reasoning_content = reasoning_content;
    if (refusal) delta.refusal = refusal;
    if (tool_calls?.length) delta.tool_calls = tool_calls.map((call, index) => ({ index, ...call }));
    return {
      index: choice.index,
      delta,
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finish_reason,
    };
  });
  return { choices, usage: completion.usage ?? null, fingerprint: completion.system_fingerprint ?? null };
}
