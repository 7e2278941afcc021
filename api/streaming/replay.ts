// Serves a cached answer as if it had just been generated: SSE chunks (one delta and one
// finish chunk per choice, the usage chunk when asked, [DONE]) or one chat.completion body.
import type { Context } from 'koa';
import type { CachedAnswer } from '../../shared/cache/response-cache.js';
import type { ChunkChoice, CompletionChoice } from '../../shared/wire/chat.js';
import {
  chunkFrame,
  type CompletionIdentity,
  completionBody,
  DONE_FRAME,
  usageFrame,
} from './chat-format.js';

function deltaOf(choice: CompletionChoice): ChunkChoice {
  const { role, content, reasoning_content, tool_calls, refusal, ...rest } = choice.message;
  const delta: ChunkChoice['delta'] = { ...rest, role };
  if (reasoning_content) delta.reasoning_content = reasoning_content;
  if (content !== null && content !== undefined) delta.content = content;
  if (refusal) delta.refusal = refusal;
  if (tool_calls?.length) delta.tool_calls = tool_calls.map((call, index) => ({ index, ...call }));
  return { index: choice.index, delta, logprobs: null, finish_reason: null };
}

export function replayAnswer(
  ctx: Context,
  identity: CompletionIdentity,
  answer: CachedAnswer,
  stream: boolean,
  quota?: number,
) {
  if (!stream) {
    ctx.body = completionBody(identity, answer.choices, answer.usage, answer.fingerprint, quota);
    return;
  }
  let frames = '';
  for (const choice of answer.choices) frames += chunkFrame(identity, [deltaOf(choice)], answer.fingerprint);
  answer.choices.forEach((choice, index) => {
    const last = index === answer.choices.length - 1;
    const finish: ChunkChoice = {
      index: choice.index,
      delta: {},
      logprobs: null,
      finish_reason: choice.finish_reason,
    };
    frames += chunkFrame(identity, [finish], answer.fingerprint, last ? quota : undefined);
  });
  if (identity.includeUsage) frames += usageFrame(identity, answer.usage, answer.fingerprint, quota);
  ctx.status = 200;
  ctx.set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-cache': 'hit',
  });
  ctx.body = frames + DONE_FRAME;
}
