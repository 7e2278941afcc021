// Answers a non-stream request: loops over the session until its terminal event and replies
// with one chat.completion body (or the error with its status). A client that leaves cancels.
import type { Context } from 'koa';
import { GatewayError } from '../../shared/errors.js';
import { sendError } from '../middleware/errors.js';
import { type CompletionIdentity, completionBody } from './chat-format.js';
import type { RelaySession } from './relay-session.js';

export async function writeCompletion(ctx: Context, session: RelaySession, identity: CompletionIdentity) {
  ctx.res.on('close', () => {
    if (!ctx.res.writableFinished) session.cancel();
  });
  for await (const event of session) {
    if (event.t === 'completion') {
      ctx.status = 200;
      ctx.body = completionBody(identity, event.choices, event.usage, event.fingerprint, event.quota);
      return;
    }
    if (event.t === 'error') {
      sendError(ctx, GatewayError.fromJSON(event.error));
      return;
    }
  }
}
