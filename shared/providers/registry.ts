// Channel type -> provider definition.
import { OPENAI_COMPATIBLE } from './compatible.js';
import { openAICompatible } from './openai/definition.js';
import type { ProviderDefinition } from './types.js';

const providers = new Map<string, ProviderDefinition>(
  OPENAI_COMPATIBLE.map((config) => [config.id, openAICompatible(config)]),
);

export function providerFor(type: string): ProviderDefinition | undefined {
  return providers.get(type);
}

export function supportedChannelTypes(): string[] {
  return [...providers.keys()];
}
