// Merges streamed chunk choices into complete messages (non-stream answers): content and
// reasoning are concatenated, tool-call deltas are merged by index.
import type { ChunkChoice, CompletionChoice, CompletionMessage } from './chat.js';

interface ToolCallAccumulator {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface ChoiceAccumulator {
  index: number;
  role: string;
  content: string;
  hasContent: boolean;
  reasoning: string;
  refusal: string;
  toolCalls: Map<number, ToolCallAccumulator>;
  finishReason: string | null;
  extra: Record<string, unknown>;
}

export class ChoiceMerger {
  private readonly choices = new Map<number, ChoiceAccumulator>();

  add(choices: ChunkChoice[]): void {
    for (const choice of choices) {
      let acc = this.choices.get(choice.index);
      if (!acc) {
        acc = {
          index: choice.index,
          role: 'assistant',
          content: '',
          hasContent: false,
          reasoning: '',
          refusal: '',
          toolCalls: new Map(),
          finishReason: null,
          extra: {},
        };
        this.choices.set(choice.index, acc);
      }
      const { role, content, reasoning_content, refusal, tool_calls, ...rest } = choice.delta ?? {};
      if (role) acc.role = role;
      if (typeof content === 'string' && content.length > 0) {
        acc.content += content;
        acc.hasContent = true;
      }
      if (typeof reasoning_content === 'string') acc.reasoning += reasoning_content;
      if (typeof refusal === 'string') acc.refusal += refusal;
      for (const call of tool_calls ?? []) {
        const existing = acc.toolCalls.get(call.index);
        if (!existing) {
          acc.toolCalls.set(call.index, {
            id: call.id ?? '',
            type: 'function',
            function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
          });
        } else {
          if (call.id) existing.id = call.id;
          // Some compatible upstreams repeat the name in every delta: keep the first.
          if (call.function?.name && !existing.function.name) existing.function.name = call.function.name;
          if (call.function?.arguments) existing.function.arguments += call.function.arguments;
        }
      }
      Object.assign(acc.extra, rest);
      if (choice.finish_reason) acc.finishReason = choice.finish_reason;
    }
  }

  result(): CompletionChoice[] {
    return [...this.choices.values()]
      .sort((a, b) => a.index - b.index)
      .map((acc) => {
        const message: CompletionMessage = {
          ...acc.extra,
          role: acc.role,
          content: acc.hasContent || acc.toolCalls.size === 0 ? acc.content : null,
          refusal: acc.refusal || null,
        };
        if (acc.reasoning) message.reasoning_content = acc.reasoning;
        if (acc.toolCalls.size > 0) {
          message.tool_calls = [...acc.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
        }
        return { index: acc.index, message, logprobs: null, finish_reason: acc.finishReason };
      });
  }

  /** All text produced so far (content, reasoning and tool arguments), for token counting. */
  producedText(): string {
    let text = '';
    for (const acc of this.choices.values()) {
      text += acc.reasoning + acc.content;
      for (const call of acc.toolCalls.values()) text += call.function.name + call.function.arguments;
    }
    return text;
  }
}
