// The adapter contract: an adapter turns one chat call into normalized chunks. Adapters
// never format SSE and never know about queues, billing or the client connection.
import type { Dispatcher } from 'undici';
import type { ChunkChoice, Usage } from '../wire/chat.js';

export interface UpstreamChunk {
  choices: ChunkChoice[];
  usage?: Usage | null;
  fingerprint?: string | null;
}

export interface ChatCall {
  endpoint: string;
  secret: string;
  /** The body to send: the client's parameters with the upstream model name. */
  body: Record<string, unknown>;
  signal: AbortSignal;
  dispatcher?: Dispatcher;
}

export interface ProviderAdapter {
  /** Streams one call, handing each chunk to onChunk; throws UpstreamError or CancelledError. */
  streamChat(call: ChatCall, onChunk: (chunk: UpstreamChunk) => void): Promise<void>;
}
