// The provider contract: a provider is a definition with capability slots (chat, images,
// videos) made of pure functions: build the HTTP request, parse the answer, parse one stream
// event with its state, parse an error. The executor (executor.ts) owns everything else:
// HTTP, keep-alive, proxies, abort, SSE framing, deadlines and draining. Providers never
// format SSE for clients and never know about queues, billing or the client connection.
import type { ChunkChoice, Usage } from '../wire/chat.js';
import type { UpstreamError } from './upstream-error.js';

export interface UpstreamChunk {
  choices: ChunkChoice[];
  usage?: Usage | null;
  fingerprint?: string | null;
}

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** One chat call as a provider sees it. */
export interface ChatRequestInput {
  /** The channel's endpoint (a base URL, or a provider-specific form). */
  endpoint: string;
  /** One line of the channel's secret. */
  secret: string;
  /** The client's parameters with the upstream model name. */
  body: Record<string, unknown>;
}

/** One server-sent event of an upstream stream. */
export interface StreamEvent {
  event: string | undefined;
  data: string;
}

/** What one stream event means: chunks to relay, the end of the answer, or a failure. */
export interface StreamStep {
  chunks?: UpstreamChunk[];
  done?: boolean;
  error?: UpstreamError;
}

export interface ChatCapability<State = unknown> {
  buildRequest(input: ChatRequestInput): HttpRequestSpec;
  /** A non-streamed JSON answer (some upstreams ignore `stream: true`). */
  parseResponse(json: unknown): UpstreamChunk[];
  startStream(): State;
  parseStreamEvent(event: StreamEvent, state: State): StreamStep;
  /** The stream closed without a `done` step: null when the answer is complete anyway. */
  endStream(state: State): UpstreamError | null;
  parseError(status: number, headers: ResponseHeaders, bodyText: string): UpstreamError;
}

export interface ProviderDefinition {
  /** The channel type (Chat Nio's names: openai, azure, claude, palm, ...). */
  id: string;
  chat?: ChatCapability<never>;
}
