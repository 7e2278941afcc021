// Plan-paid relay requests: a subscriber's request for a model covered by a plan item,
// under its monthly count, is paid by the plan (only when settings.site.relay_plan allows
// plans on the API). Wired to the plan store once subscriptions land.
import type { Identity } from '../auth/identity-cache.js';
import type { ApiContext } from '../context.js';

export async function reservePlan(
  _context: ApiContext,
  _identity: Identity,
  _requestId: string,
  _model: string,
): Promise<boolean> {
  return false;
}
