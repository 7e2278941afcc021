// Streams one relay as Server-Sent Events. Response headers are held until the first
// event, so a failure before any output answers with its real HTTP status; if the first
// token is slow, 200 + keep-alive comments start after SSE_KEEPALIVE_AFTER and later
// failures become error frames. The client closing the connection cancels the relay.
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { RelayEvent } from '../../shared/stream-relay.js';
import type { ApiContext } from '../context.js';
import { sendError } from '../middleware/errors.js';
import {
  chunkFrame,
  type CompletionIdentity,
  DONE_FRAME,
  KEEPALIVE_FRAME,
  usageFrame,
} from './chat-format.js';
import { openRelaySession } from './relay-session.js';

export async function streamChat(
  ctx: Context,
  context: ApiContext,
  data: ChatJobData,
  identity: CompletionIdentity,
) {
  const body = new PassThrough();
  let committed = false;
  let fingerprint: string | null | undefined;
  let releaseHeaders!: () => void;
  const headersReady = new Promise<void>((resolve) => {
    releaseHeaders = resolve;
  });

  const commit = () => {
    if (committed) return;
    committed = true;
    clearTimeout(keepAliveTimer);
    ctx.status = 200;
    ctx.set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    ctx.body = body;
    releaseHeaders();
  };
  const keepAliveTimer = setTimeout(() => {
    commit();
    body.write(KEEPALIVE_FRAME);
  }, context.config.SSE_KEEPALIVE_AFTER * 1000);

  const onEvent = (event: RelayEvent) => {
    switch (event.t) {
      case 'hb':
        if (committed) body.write(KEEPALIVE_FRAME);
        return;
      case 'delta':
        commit();
        fingerprint = event.fingerprint ?? fingerprint;
        body.write(chunkFrame(identity, event.choices, event.fingerprint, event.quota));
        return;
      case 'usage':
        if (identity.includeUsage) body.write(usageFrame(identity, event.usage, fingerprint, event.quota));
        return;
      case 'end':
      case 'completion':
        commit();
        body.end(DONE_FRAME);
        return;
      case 'error': {
        const error = GatewayError.fromJSON(event.error);
        if (!committed) {
          clearTimeout(keepAliveTimer);
          sendError(ctx, error);
          releaseHeaders();
          return;
        }
        body.end(`data: ${JSON.stringify(error.toBody())}\n\n`);
      }
    }
  };

  const session = await openRelaySession(context, data, ctx.state.log, onEvent).catch((error) => {
    clearTimeout(keepAliveTimer);
    throw error;
  });
  ctx.res.on('close', () => {
    clearTimeout(keepAliveTimer);
    if (!ctx.res.writableFinished) session.cancel();
    releaseHeaders();
  });
  await headersReady;
}
