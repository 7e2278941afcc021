// Plan-paid relay requests: a subscriber's request for a model covered by an item of their
// plan, under its monthly count, is paid by the plan instead of the balance (on /v1 only
// when settings.site.relay_plan allows it, as in Chat Nio).
import { takePlanHold } from '../../shared/billing/ledger.js';
import { subscriptionRow } from '../../shared/billing/subscribe.js';
import { usagePeriod } from '../../shared/billing/subscription-math.js';
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';

const LEVEL_OF_GROUP: Record<string, number> = { basic: 1, standard: 2, pro: 3 };

/** True when the request was counted against the caller's plan (a plan hold was taken). */
export async function reservePlan(
  context: ApiContext,
  identity: Identity,
  requestId: string,
  model: string,
): Promise<boolean> {
  if (!context.settings.get().site.relay_plan) return false;
  // The cached group says whether to look at all; the subscription row has the final word.
  if (!LEVEL_OF_GROUP[identity.group]) return false;
  const subscription = await subscriptionRow(context.knex, identity.userId);
  if (!subscription?.expired_at || new Date(subscription.expired_at).getTime() <= Date.now()) return false;
  const item = context.plans.coveringItem(Number(subscription.level), model);
  if (!item) return false;
  return takePlanHold(context.knex, requestId, identity.userId, {
    itemId: item.id,
    period: usagePeriod(subscription),
    limit: item.value,
  });
}
