// Before a relay request is enqueued: find its price, decide who pays (plan, balance or
// nobody) and reserve the money. A request that cannot be covered is refused here, before
// any upstream call.
import { type PromptBound, promptTokenBound } from '../../shared/billing/tokens.js';
import type { Micros } from '../../shared/billing/money.js';
import { holdEstimate, outputMicrosPer1k } from '../../shared/billing/pricing.js';
import { GatewayError, errors } from '../../shared/errors.js';
import type { JobBilling } from '../../shared/queues.js';
import type { ChatRequestBody } from '../../shared/wire/chat.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';
import { reservePlan } from './plan-funding.js';

export const OFFICIAL_SUFFIX = '-official';

export function insufficientQuota(): GatewayError {
  return new GatewayError('You exceeded your current quota: top up your balance or subscribe to a plan.', {
    status: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
  });
}

export const WEB_PREFIX = 'web-';

/**
 * Splits Chat Nio's model decorations: `-official` (answer without the `quota` field) and the
 * `web-` prefix (search the web first).
 */
export function parseModelName(requested: string): { model: string; showQuota: boolean; webSearch: boolean } {
  let model = requested;
  const webSearch = model.startsWith(WEB_PREFIX) && model.length > WEB_PREFIX.length;
  if (webSearch) model = model.slice(WEB_PREFIX.length);
  const official = model.endsWith(OFFICIAL_SUFFIX) && model.length > OFFICIAL_SUFFIX.length;
  if (official) model = model.slice(0, -OFFICIAL_SUFFIX.length);
  return { model, showQuota: !official, webSearch };
}

/** A model without a charge rule is for administrators only. */
export function assertPriced(context: ApiContext, identity: Identity, model: string): void {
  if (!identity.isAdmin && !context.charges.ruleFor(model)) {
    throw errors.forbidden(
      `The model \`${model}\` has no price set and cannot be used yet.`,
      'model_not_priced',
    );
  }
}

export interface Reservation {
  billing: JobBilling;
  /** The amount held from the balance (0 for plan and free requests). */
  held: Micros;
  /** The prompt's tokens as counted for the hold (bounded work; exact unless huge). */
  prompt: PromptBound;
  /** The output budget the balance covers when it is below the default one (the client set none). */
  outputCap: number | null;
  /**
   * A hold still being taken (the balance is known to cover it): the job may be enqueued at
   * once, but nothing reaches the client before this resolves; it rejects with the refusal.
   */
  pending: Promise<void> | null;
}

export async function reserve(
  context: ApiContext,
  identity: Identity,
  requestId: string,
  model: string,
  body: ChatRequestBody,
  showQuota: boolean,
): Promise<Reservation> {
  const rule = context.charges.ruleFor(model);
  assertPriced(context, identity, model);
  // Counted on the request path with bounded work: exact for ordinary prompts, an upper
  // bound (UTF-8 bytes) past EXACT_PROMPT_BUDGET characters.
  const prompt = promptTokenBound(model, body);
  const free = { held: 0n, prompt, outputCap: null, pending: null };
  if (!rule) return { billing: { source: 'free', rule: null, showQuota }, ...free };
  const price = { type: rule.type, input: rule.input, output: rule.output };
  if (rule.type === 'non-billing') return { billing: { source: 'free', rule: price, showQuota }, ...free };
  if (await reservePlan(context, identity, requestId, model)) {
    return { billing: { source: 'plan', rule: price, showQuota }, ...free };
  }
  const settings = context.settings.get().billing;
  const own = body.max_completion_tokens ?? body.max_tokens ?? null;
  const tokens = own ?? settings.default_output_tokens;
  const choices = body.n ?? 1;
  const promptTokens = rule.type === 'token-billing' ? prompt.tokens : 0;
  const amount = holdEstimate(price, promptTokens, tokens * choices);
  const billing: JobBilling = { source: 'balance', rule: price, showQuota };
  const balances = context.balances;
  // A balance known to cover this twice over: the hold is taken while the job is enqueued.
  if (balances.covers(identity.userId, amount)) {
    balances.spend(identity.userId, amount);
    const pending = context.holds.submit({ requestId, userId: identity.userId, amount }).then((grant) => {
      balances.record(identity.userId, grant?.balance ?? 0n);
      if (!grant) throw insufficientQuota();
    });
    pending.catch(() => balances.forget(identity.userId));
    return { billing, held: amount, prompt, outputCap: null, pending };
  }
  // A budget the client chose is never lowered; the default one may shrink to what the balance covers.
  const shrinkable = own === null && rule.type === 'token-billing' && settings.min_output_tokens < tokens;
  const grant = await context.holds.submit({
    requestId,
    userId: identity.userId,
    amount,
    shrink: shrinkable
      ? {
          fixed: holdEstimate(price, promptTokens, 0),
          per1k: outputMicrosPer1k(price) * BigInt(choices),
          tokens,
          minTokens: settings.min_output_tokens,
        }
      : undefined,
  });
  balances.record(identity.userId, grant?.balance ?? 0n);
  if (!grant) throw insufficientQuota();
  return { billing, held: grant.amount, prompt, outputCap: grant.tokens, pending: null };
}
