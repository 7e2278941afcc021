// Relay API keys: `sk-` + 64 hex (Chat Nio's format).
import { randomBytes } from 'node:crypto';

export const API_KEY_PATTERN = /^sk-[0-9a-f]{64}$/;

export function generateApiKey(): string {
  return `sk-${randomBytes(32).toString('hex')}`;
}
