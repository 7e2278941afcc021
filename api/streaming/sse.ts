// Writes one relay session as Server-Sent Events: a loop over its events that waits for the
// socket to drain (backpressure). Response headers are held until the first event, so a
// failure before any output answers with its real HTTP status; if the first token is slow,
// 200 + keep-alive comments start after SSE_KEEPALIVE_AFTER and later failures become error
// frames. The client closing the connection cancels the session.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import type { ApiContext } from '../context.js';
import { sendError } from '../middleware/errors.js';
import {
  chunkFrame,
  type CompletionIdentity,
  DONE_FRAME,
  KEEPALIVE_FRAME,
  usageFrame,
} from './chat-format.js';
import type { RelaySession } from './relay-session.js';

export async function writeSse(
  ctx: Context,
  context: ApiContext,
  session: RelaySession,
  identity: CompletionIdentity,
): Promise<void> {
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
  // A full socket buffer waits for drain; a closed one ends the wait (and the loop) too.
  const write = async (frame: string) => {
    if (body.destroyed) return;
    if (!body.write(frame)) await Promise.race([once(body, 'drain'), once(body, 'close')]);
  };
  ctx.res.on('close', () => {
    clearTimeout(keepAliveTimer);
    if (!ctx.res.writableFinished) {
      session.cancel();
      body.destroy();
    }
    releaseHeaders();
  });

  const loop = async () => {
    for await (const event of session) {
      switch (event.t) {
        case 'hb':
          if (committed) await write(KEEPALIVE_FRAME);
          break;
        case 'delta':
          commit();
          fingerprint = event.fingerprint ?? fingerprint;
          await write(chunkFrame(identity, event.choices, event.fingerprint, event.quota));
          break;
        case 'usage':
          if (identity.includeUsage) await write(usageFrame(identity, event.usage, fingerprint, event.quota));
          break;
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
          return;
        }
      }
    }
    // The session closed without an end (the client left): nothing more to write.
    clearTimeout(keepAliveTimer);
    body.end();
    releaseHeaders();
  };
  loop().catch((error) => {
    ctx.state.log.error({ err: error }, 'writing the stream failed');
    session.cancel();
    body.destroy();
    releaseHeaders();
  });
  await headersReady;
}
