// The caller of a logged-out web chat: group `anonymous`, user id 0 (its usage rows count as
// anonymous traffic), no key, never stored conversations.
import type { Identity } from './identity-cache.js';

export const ANONYMOUS_USER_ID = 0;

export function anonymousIdentity(): Identity {
  return {
    userId: ANONYMOUS_USER_ID,
    username: '',
    group: 'anonymous',
    isAdmin: false,
    apiKeyId: null,
    isBanned: false,
    stamp: '',
  };
}

export function isAnonymous(identity: Identity): boolean {
  return identity.userId === ANONYMOUS_USER_ID;
}
