// Channel type -> adapter. OpenAI-compatible providers reuse the OpenAI adapter.
import { openaiAdapter } from './openai/adapter.js';
import type { ProviderAdapter } from './types.js';

const OPENAI_COMPATIBLE = ['openai', 'deepseek', 'moonshot', 'groq', 'openrouter', 'siliconflow', 'custom'];

const adapters = new Map<string, ProviderAdapter>(OPENAI_COMPATIBLE.map((type) => [type, openaiAdapter]));

export function adapterFor(type: string): ProviderAdapter | undefined {
  return adapters.get(type);
}

export function supportedChannelTypes(): string[] {
  return [...adapters.keys()];
}
