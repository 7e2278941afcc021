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
    /** A channel's cooldown marker after a failure. */
    channelCooldown: (channelId: number) => `${prefix}:channel:cooldown:${channelId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/** Topics sent on the invalidate channel. */
export type InvalidateTopic = 'channels' | 'auth' | 'settings' | 'charges' | 'plans';
