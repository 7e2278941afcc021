// One attempt against one channel: picks a secret line, maps the model, and enforces the
// first-token deadline and the overall MAX_TIMEOUT by aborting the upstream call.
import type { Config } from '../../shared/config.js';
import { pickSecret } from '../../shared/channels/select.js';
import { upstreamModel } from '../../shared/channels/mapper.js';
import type { RoutableChannel } from '../../shared/channels/snapshot.js';
import { dispatcherFor } from '../../shared/providers/http.js';
import { adapterFor } from '../../shared/providers/registry.js';
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
  const adapter = adapterFor(call.channel.type);
  if (!adapter) throw new UpstreamError('auth', `channel type ${call.channel.type} has no adapter`);
  const controller = new AbortController();
  const forward = () => controller.abort(call.signal.reason);
  if (call.signal.aborted) forward();
  call.signal.addEventListener('abort', forward, { once: true });
  const firstToken = setTimeout(
    () => controller.abort(new UpstreamError('timeout', 'upstream sent no first token in time')),
    call.config.FIRST_TOKEN_TIMEOUT * 1000,
  );
  const deadline = setTimeout(
    () => controller.abort(new UpstreamError('timeout', 'upstream call exceeded MAX_TIMEOUT')),
    call.config.MAX_TIMEOUT * 1000,
  );
  try {
    let dispatcher: ReturnType<typeof dispatcherFor>;
    try {
      dispatcher = dispatcherFor(call.channel.proxy);
    } catch (error) {
      throw new UpstreamError('auth', (error as Error).message);
    }
    await adapter.streamChat(
      {
        endpoint: call.channel.endpoint,
        secret: pickSecret(call.channel.secret),
        body: { ...call.body, model: upstreamModel(call.model, call.channel.rules) },
        signal: controller.signal,
        dispatcher,
      },
      (chunk) => {
        clearTimeout(firstToken);
        call.onChunk(chunk);
      },
    );
  } finally {
    clearTimeout(firstToken);
    clearTimeout(deadline);
    call.signal.removeEventListener('abort', forward);
  }
}
