// Token counting with a real tokenizer (js-tiktoken), used when an upstream reports no
// usage: o200k_base for the gpt-4o/o-series family, cl100k_base for everything else.
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import type { ChatRequestBody, Usage } from '../wire/chat.js';

let cl100kEncoder: Tiktoken | undefined;
let o200kEncoder: Tiktoken | undefined;

function encoderFor(model: string): Tiktoken {
  if (/^(gpt-4o|gpt-4\.1|gpt-5|o\d|chatgpt-4o)/i.test(model)) {
    o200kEncoder ??= new Tiktoken(o200k);
    return o200kEncoder;
  }
  cl100kEncoder ??= new Tiktoken(cl100k);
  return cl100kEncoder;
}

export function countTokens(model: string, text: string): number {
  return text ? encoderFor(model).encode(text).length : 0;
}

/** OpenAI's chat accounting: 3 tokens per message, 1 per name, 3 to prime the reply. */
export function countPromptTokens(model: string, body: ChatRequestBody): number {
  let total = 3;
  for (const message of body.messages) {
    total += 3;
    const content = message.content;
    if (typeof content === 'string') total += countTokens(model, content);
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part.text === 'string') total += countTokens(model, part.text);
    }
    if (message.name) total += 1 + countTokens(model, message.name);
    if (message.tool_calls) total += countTokens(model, JSON.stringify(message.tool_calls));
  }
  if (body.tools) total += countTokens(model, JSON.stringify(body.tools));
  return total;
}

export function countedUsage(model: string, body: ChatRequestBody, producedText: string): Usage {
  const prompt = countPromptTokens(model, body);
  const completion = countTokens(model, producedText);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
