// The OpenAI chat adapter: request mapping, HTTP call (undici), then stream or JSON parsing.
// Also the base of every OpenAI-compatible provider (DeepSeek, Groq, Moonshot, ...).
import { request } from 'undici';
import { ERROR_BODY_LIMIT, JSON_BODY_LIMIT, readBounded, upstreamAgent } from '../http.js';
import type { ChatCall, ProviderAdapter, UpstreamChunk } from '../types.js';
import { CancelledError, UpstreamError } from '../upstream-error.js';
import { errorFromResponse } from './errors.js';
import { buildChatRequest } from './request.js';
import { completionToChunk } from './response.js';
import { parseChatStream } from './stream.js';

/** Turns whatever undici threw into a classified error, honouring the abort reason. */
function toUpstreamError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof UpstreamError || reason instanceof CancelledError) return reason;
    return new CancelledError();
  }
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: string })?.code ?? '';
  if (code.includes('TIMEOUT')) return new UpstreamError('timeout', 'upstream timed out');
  return new UpstreamError('network', `upstream connection failed (${code || 'network error'})`);
}

export async function streamOpenAIChat(
  call: ChatCall,
  onChunk: (chunk: UpstreamChunk) => void,
): Promise<void> {
  const spec = buildChatRequest(call.endpoint, call.secret, call.body);
  try {
    const response = await request(spec.url, {
      method: 'POST',
      headers: spec.headers,
      body: spec.body,
      signal: call.signal,
      dispatcher: call.dispatcher ?? upstreamAgent(),
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    if (response.statusCode !== 200) {
      const text = await readBounded(response.body, ERROR_BODY_LIMIT).catch(() => '');
      throw errorFromResponse(response.statusCode, response.headers, text);
    }
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('application/json')) {
      const text = await readBounded(response.body, JSON_BODY_LIMIT);
      let json: Parameters<typeof completionToChunk>[0];
      try {
        json = JSON.parse(text);
      } catch {
        throw new UpstreamError('network', 'upstream returned a malformed completion');
      }
      onChunk(completionToChunk(json));
      return;
    }
    await parseChatStream(response.body, onChunk);
  } catch (error) {
    throw toUpstreamError(error, call.signal);
  }
}

export const openaiAdapter: ProviderAdapter = { streamChat: streamOpenAIChat };
