// OpenAI-compatible upstreams: one config each over the OpenAI chat capability. A quirk is
// generalised into the builder only once three providers share it.
import type { OpenAICompatibleConfig } from './openai/definition.js';

export const OPENAI_COMPATIBLE: readonly OpenAICompatibleConfig[] = [
  { id: 'openai' },
  // DeepSeek streams reasoning as `reasoning_content`, passed through as a delta field.
  { id: 'deepseek' },
  { id: 'moonshot' },
  // Groq refuses these with a 400 (https://console.groq.com/docs/openai).
  { id: 'groq', dropParameters: ['logprobs', 'top_logprobs', 'logit_bias'] },
  // OpenRouter ranks apps by these optional headers.
  { id: 'openrouter', headers: { 'x-title': 'Chat Nio' } },
  { id: 'siliconflow' },
  // Any other OpenAI-compatible base URL.
  { id: 'custom' },
];
