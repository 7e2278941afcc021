// Mock provider wire format: turns a completion plan into an OpenAI `chat.completion` JSON body or the
// `chat.completion.chunk` SSE frames (head / timed delta groups / tail with optional usage chunk and [DONE]).
import type { CompletionPlan, PlannedToolCall } from './completion-plan.js';

export const systemFingerprint = 'fp_mock';
export const doneFrame = 'data: [DONE]\n\n';

/** SSE frames: `head` goes out with the first group, each group is one timed step, `tail` ends the stream. */
export interface StreamParts {
  head: string;
  groups: string[];
  tail: string;
}

/** JSON text of a non-stream `chat.completion`. */
export function buildCompletionJson(plan: CompletionPlan): string {
  const content = plan.contentPieces.join('');
  const reasoning = plan.reasoningPieces.join('');
  const choices = [];
  for (let index = 0; index < plan.choiceCount; index++) {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: plan.toolCalls.length > 0 ? null : content,
      refusal: null,
    };
    if (plan.reasoningPieces.length > 0) message.reasoning_content = reasoning;
    if (plan.toolCalls.length > 0) {
      message.tool_calls = plan.toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      }));
    }
    choices.push({ index, message, logprobs: null, finish_reason: plan.finishReason });
  }
  return JSON.stringify({
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices,
    usage: plan.usage,
    system_fingerprint: systemFingerprint,
  });
}

function toolHeader(call: PlannedToolCall, index: number): string {
  return JSON.stringify({
    index,
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: '' },
  });
}

/** Builds all SSE frames once; chunk JSON is assembled from a shared prefix so each frame costs one small stringify. */
export function buildStreamParts(plan: CompletionPlan, includeUsage: boolean): StreamParts {
  const prefix = `data: {"id":${JSON.stringify(plan.id)},"object":"chat.completion.chunk","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":"${systemFingerprint}","choices":[`;
  const suffix = includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  const frame = (choice: number, delta: string, finish: string | null = null): string =>
    `${prefix}{"index":${choice},"delta":${delta},"logprobs":null,"finish_reason":${finish}}${suffix}`;
  const choiceCount = plan.choiceCount;
  const hasTools = plan.toolCalls.length > 0;
  const toolsInHead = hasTools && plan.reasoningPieces.length === 0;

  const toolHeaderFrames = (choice: number, withRole: boolean): string => {
    let frames = '';
    plan.toolCalls.forEach((call, index) => {
      const role = withRole && index === 0 ? '"role":"assistant","content":null,' : '';
      frames += frame(choice, `{${role}"tool_calls":[${toolHeader(call, index)}]}`);
    });
    return frames;
  };

  let head = '';
  for (let choice = 0; choice < choiceCount; choice++) {
    if (toolsInHead) head += toolHeaderFrames(choice, true);
    else
      head += frame(
        choice,
        hasTools ? '{"role":"assistant","content":null}' : '{"role":"assistant","content":""}',
      );
  }

  const groups: string[] = [];
  const pushGroup = (deltaFor: (choice: number) => string): void => {
    let group = '';
    for (let choice = 0; choice < choiceCount; choice++) group += frame(choice, deltaFor(choice));
    groups.push(group);
  };
  for (const piece of plan.reasoningPieces) pushGroup(() => `{"reasoning_content":${JSON.stringify(piece)}}`);
  for (const piece of plan.contentPieces) pushGroup(() => `{"content":${JSON.stringify(piece)}}`);
  if (hasTools) {
    const steps = Math.max(...plan.toolCalls.map((call) => call.pieces.length));
    for (let step = 0; step < steps; step++) {
      let group = '';
      for (let choice = 0; choice < choiceCount; choice++) {
        if (step === 0 && !toolsInHead) group += toolHeaderFrames(choice, false);
        plan.toolCalls.forEach((call, index) => {
          const piece = call.pieces[step];
          if (piece === undefined) return;
          const argumentsDelta = JSON.stringify({ index, function: { arguments: piece } });
          group += frame(choice, `{"tool_calls":[${argumentsDelta}]}`);
        });
      }
      groups.push(group);
    }
  }

  let tail = '';
  const finish = JSON.stringify(plan.finishReason);
  for (let choice = 0; choice < choiceCount; choice++) tail += frame(choice, '{}', finish);
  if (includeUsage) {
    tail += `data: ${JSON.stringify({
      id: plan.id,
      object: 'chat.completion.chunk',
      created: plan.created,
      model: plan.model,
      system_fingerprint: systemFingerprint,
      choices: [],
      usage: plan.usage,
    })}\n\n`;
  }
  tail += doneFrame;
  return { head, groups, tail };
}
