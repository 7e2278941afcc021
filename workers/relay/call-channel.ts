// One attempt against one channel: picks a secret line, maps the model, chooses the
// channel's dispatcher (proxy) and hands the call to the executor with the request's
// deadlines (first token, MAX_TIMEOUT).
import { upstreamModel } from '../../shared/channels/mapper.js';
import { pickSecret } from '../../shared/channels/select.js';
import type { RoutableChannel } from '../../shared/channels/snapshot.js';
import type { Config } from '../../shared/config.js';
import { executeChat } from '../../shared/providers/executor.js';
import { dispatcherFor } from '../../shared/providers/http.js';
import { providerFor } from '../../shared/providers/registry.js';
import type { UpstreamChunk } from '../../shared/providers/types.js';
import { UpstreamError } from '../../shared/providers/upstream-error.js';

export interface ChannelCall {
  channel: RoutableChannel;
  model: string;
  body: Record<string, unknown>;
  /** The request's own signal (client cancel, shutdown). */
  signal: AbortSignal;
  config: Pick<Config, 'FIRST_TOKEN_TIMEOUT' | 'MAX_TIMEOUT'>;
  onChunk: (chunk: UpstreamChunk) => void;
}

export async function callChannel(call: ChannelCall): Promise<void> {
  const chat = providerFor(call.channel.type)?.chat;
  if (!chat) throw new UpstreamError('auth', `channel type ${call.channel.type} has no chat adapter`);
  let dispatcher: ReturnType<typeof dispatcherFor>;
  try {
    dispatcher = dispatcherFor(call.channel.proxy);
  } catch (error) {
    throw new UpstreamError('auth', (error as Error).message);
  }
  await executeChat(
    chat,
    {
      endpoint: call.channel.endpoint,
      secret: pickSecret(call.channel.secret),
      body: { ...call.body, model: upstreamModel(call.model, call.channel.rules) },
    },
    {
      signal: call.signal,
      dispatcher,
      firstTokenMs: call.config.FIRST_TOKEN_TIMEOUT * 1000,
      totalMs: call.config.MAX_TIMEOUT * 1000,
    },
    call.onChunk,
  );
}
