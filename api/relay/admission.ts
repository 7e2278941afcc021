// Admission of one chat completion, with no transport in it: limits (before validation, so
// malformed requests count too), validation, routability, price, the response cache, and the
// hold. The answer is a job to run (or a cached answer to replay) plus the response headers
// and a release for the concurrency slot; a refusal is a thrown GatewayError.
import type { Logger } from 'pino';
import type { CachedAnswer } from '../../shared/cache/response-cache.js';
import { errors, GatewayError } from '../../shared/errors.js';
import type { ChatJobData } from '../../shared/queues.js';
import { chatRequestSchema } from '../../shared/wire/chat.js';
import { isAnonymous } from '../auth/anonymous.js';
import type { Identity } from '../auth/identity-cache.js';
import { assertPriced, parseModelName, reserve } from '../billing/reserve.js';
import type { ApiContext } from '../context.js';
import { parseBody } from '../routes/parse.js';
import { type CompletionIdentity, completionIdentity } from '../streaming/chat-format.js';
import { cacheKeyFor, lookUpCachedAnswer, recordCacheHit } from './cache-lookup.js';
import { relayLimiter } from './limits.js';
import { assertRoutable } from './routable.js';
import { withWebSearch } from './web-search.js';

export interface ChatRequest {
  identity: Identity | null;
  body: unknown;
  requestId: string;
  log: Logger;
  /** Search the web first (the web chat's `web: true`; the relay's `web-` model prefix says so too). */
  webSearch?: boolean;
}

export interface ChatAdmission {
  data: ChatJobData;
  /** How answers are shaped for this request (id, model name, usage chunk). */
  shape: CompletionIdentity;
  /** Chat Nio's `quota` field on the answer (not for `-official` models). */
  showQuota: boolean;
  /** A stored answer to replay instead of running a job (nothing was held). */
  cached: CachedAnswer | null;
  headers: Record<string, string>;
  /** Call when the response has ended: gives the concurrency slot back. */
  release(): void;
  /** A hold still being taken while the job is enqueued (see Reservation.pending). */
  hold: Promise<void> | null;
}

/** Names the output budget the balance allowed when it was below the default one. */
export const OUTPUT_CAP_HEADER = 'x-output-tokens-capped';

/** Reasoning models (o-series, gpt-5) take max_completion_tokens and refuse max_tokens. */
function outputLimitField(model: string): 'max_tokens' | 'max_completion_tokens' {
  return /^(o\d|gpt-5)/i.test(model) ? 'max_completion_tokens' : 'max_tokens';
}

const NO_LIMITS = { headers: {}, release: () => undefined };

/** Logged-out callers may use only models priced free with anonymous use allowed. */
function assertAnonymousAllowed(context: ApiContext, model: string): void {
  const rule = context.charges.ruleFor(model);
  if (rule?.type === 'non-billing' && rule.anonymous) return;
  throw errors.forbidden(`Sign in to use the model \`${model}\`.`, 'login_required');
}

export function missingKey(): GatewayError {
  return new GatewayError('You did not provide an API key. Send it as `Authorization: Bearer sk-...`.', {
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  });
}

export function chatAdmission(context: ApiContext) {
  const admitLimits = relayLimiter(context);

  return async function admitChat(request: ChatRequest): Promise<ChatAdmission> {
    const identity = request.identity;
    if (!identity) throw missingKey();
    if (context.draining) throw errors.overloaded();
    // Anonymous web chat has no key to count against: its socket layer limits it per IP.
    const anonymous = isAnonymous(identity);
    const grant = anonymous ? NO_LIMITS : await admitLimits(identity, request.requestId);
    try {
      const body = parseBody(chatRequestSchema, request.body);
      const { model, showQuota, webSearch } = parseModelName(body.model);
      assertRoutable(context.snapshot, model, identity.group);
      assertPriced(context, identity, model);
      if (anonymous) assertAnonymousAllowed(context, model);
      const base = {
        requestId: request.requestId,
        replyTo: context.receiver.channel,
        caller: {
          userId: identity.userId,
          username: identity.username,
          group: identity.group,
          isAdmin: identity.isAdmin,
          apiKeyId: identity.apiKeyId,
        },
        model,
        stream: Boolean(body.stream),
        body:
          webSearch || request.webSearch
            ? await withWebSearch(context, { ...body, model })
            : { ...body, model },
        enqueuedAt: Date.now(),
        channelsVersion: context.snapshot.version,
      };
      const shape = completionIdentity(
        request.requestId,
        body.model,
        Boolean(body.stream && body.stream_options?.include_usage),
      );
      const admitted = { shape, showQuota, headers: grant.headers, release: grant.release };
      // Answers grounded in a fresh search are not cached.
      const cacheKey = webSearch || request.webSearch ? null : cacheKeyFor(context, model, base.body);
      const cached = cacheKey ? await lookUpCachedAnswer(context, cacheKey) : null;
      if (cached) {
        recordCacheHit(context, base, cached, request.log);
        const data: ChatJobData = {
          ...base,
          billing: { source: 'cache', rule: null, showQuota },
          cache: null,
        };
        return { ...admitted, data, cached, hold: null };
      }
      const { billing, prompt, outputCap, pending } = await reserve(
        context,
        identity,
        request.requestId,
        model,
        body,
        showQuota,
      );
      const data: ChatJobData = {
        ...base,
        body: outputCap === null ? base.body : { ...base.body, [outputLimitField(model)]: outputCap },
        billing,
        cache: cacheKey ? { key: cacheKey, expire: context.settings.get().cache.expire } : null,
        promptTokens: prompt,
      };
      // Said in a header: the client did not ask for this limit.
      const headers =
        outputCap === null
          ? admitted.headers
          : { ...admitted.headers, [OUTPUT_CAP_HEADER]: String(outputCap) };
      return { ...admitted, headers, data, cached: null, hold: pending };
    } catch (error) {
      grant.release();
      if (error instanceof GatewayError && Object.keys(grant.headers).length > 0)
        throw new GatewayError(error.message, { ...error, headers: { ...grant.headers, ...error.headers } });
      throw error;
    }
  };
}
