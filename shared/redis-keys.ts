// Every Redis key and pub/sub channel name, built from one prefix so test runs and
// deployments sharing a Redis never collide.

export function redisKeys(prefix: string) {
  return {
    /** BullMQ's own key prefix (queues live under `${prefix}:bull:<queue>:...`). */
    bullPrefix: `${prefix}:bull`,
    /** Pub/sub: relay events for one api process (the job carries it as replyTo). */
    replyChannel: (processId: string) => `${prefix}:relay:${processId}`,
    /** Pub/sub: cancel requests, heard by every worker process. */
    cancelChannel: `${prefix}:cancel`,
    /** Pub/sub: "something changed, drop caches" announcements (channels, auth, ...). */
    invalidateChannel: `${prefix}:invalidate`,
    /** Bumped on every channel change; jobs carry the version the api routed with. */
    channelsVersion: `${prefix}:channels:version`,
    /** Relay limits of one subject (`key:<id>` or `user:<id>`); the hash tag keeps them in one slot. */
    relayLimit: (subject: string, kind: 'requests' | 'tokens' | 'tokens-sum' | 'in-flight') =>
      `${prefix}:limit:{${subject}}:${kind}`,
    /** Web-chat generations in flight of one subject (`user:<id>` or `ip:<address>`), as leases. */
    webChatSlots: (subject: string) => `${prefix}:webchat:{${subject}}:slots`,
    /** Sliding log of one per-IP web throttle rule. */
    throttle: (rule: string, ip: string) => `${prefix}:throttle:${rule}:${ip}`,
    /** Bad API keys sent from one IP (sliding log), and the block they lead to. */
    badKeys: (ip: string) => `${prefix}:bad-key:{${ip}}:log`,
    badKeyBlock: (ip: string) => `${prefix}:bad-key:{${ip}}:block`,
    /** Hash {h: HMAC of the emailed code, n: wrong attempts} for one (lowercased) email, 5 minutes. */
    verifyCode: (email: string) => `${prefix}:verify:code:${email}`,
    /** Set for 60 s after a code was mailed: one code per email per minute. */
    verifyCooldown: (email: string) => `${prefix}:verify:cooldown:${email}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** Topics sent on the invalidate channel. */
export type InvalidateTopic = 'channels' | 'auth' | 'settings' | 'charges' | 'plans';
