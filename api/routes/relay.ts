// The OpenAI-compatible relay: POST /v1/chat/completions (stream and non-stream) and
// GET /v1/models. The handler is glue: admit the request, then write its relay session as
// SSE or one JSON body (or replay a cached answer). It never calls an upstream itself.
import { Router } from '@koa/router';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { chatAdmission, missingKey } from '../relay/admission.js';
import { writeCompletion } from '../streaming/collect.js';
import { openRelaySession } from '../streaming/relay-session.js';
import { replayAnswer } from '../streaming/replay.js';
import { writeSse } from '../streaming/sse.js';

export function relayRoutes(context: ApiContext): Router {
  const router = new Router({ prefix: '/v1' });
  const admitChat = chatAdmission(context);

  router.post('/chat/completions', async (ctx) => {
    const log = ctx.state.log;
    const admission = await admitChat({
      identity: ctx.state.identity,
      body: ctx.request.body,
      requestId: ctx.state.requestId,
      log,
    });
    // The slot is held until the response has ended: finished, failed or abandoned.
    ctx.res.once('close', admission.release);
    ctx.set(admission.headers);
    const { data, shape } = admission;
    if (admission.cached) {
      ctx.set('x-cache', 'hit');
      replayAnswer(ctx, shape, admission.cached, data.stream, admission.showQuota ? 0 : undefined);
      return;
    }
    const session = await openRelaySession(context, data, log, admission.hold);
    if (data.stream) await writeSse(ctx, context, session, shape);
    else await writeCompletion(ctx, session, shape);
  });

  router.get('/models', async (ctx) => {
    const identity: Identity | null = ctx.state.identity;
    if (!identity) throw missingKey();
    ctx.body = {
      object: 'list',
      data: context.snapshot
        .models(identity.group)
        .map((id) => ({ id, object: 'model', created: 0, owned_by: 'chatnio' })),
    };
  });

  return router;
}
