// Answers a non-stream chat request: waits for the worker's merged completion (or error)
// and replies with one chat.completion body. A client that leaves cancels the relay.
import type { Context } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { RelayEvent } from '../../shared/stream-relay.js';
import type { ApiContext } from '../context.js';
import { sendError } from '../middleware/errors.js';
import { type CompletionIdentity, completionBody } from './chat-format.js';
import { openRelaySession } from './relay-session.js';

export async function collectChat(
  ctx: Context,
  context: ApiContext,
  data: ChatJobData,
  identity: CompletionIdentity,
) {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const onEvent = (event: RelayEvent) => {
    if (event.t === 'completion') {
      ctx.status = 200;
      ctx.body = completionBody(identity, event.choices, event.usage, event.fingerprint, event.quota);
      settle();
    } else if (event.t === 'error') {
      sendError(ctx, GatewayError.fromJSON(event.error));
      settle();
    }
  };
  const session = await openRelaySession(context, data, ctx.state.log, onEvent);
  ctx.res.on('close', () => {
    if (!ctx.res.writableFinished) session.cancel();
    settle();
  });
  await done;
}
