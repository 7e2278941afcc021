// Redis connections (ioredis). BullMQ workers need maxRetriesPerRequest=null on their
// connections; pub/sub needs connections of its own; the api's request path fails fast.
import { Redis, type RedisOptions } from 'ioredis';
import { config } from './config.js';

export function redisOptions(): RedisOptions {
  const c = config();
  return {
    host: c.REDIS_HOST,
    port: c.REDIS_PORT,
    password: c.REDIS_PASSWORD || undefined,
    db: c.REDIS_DB,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}

/**
 * For connections on a client's request path: while Redis is away, commands fail at once
 * (the caller answers 503) instead of queueing until it is back.
 */
export const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

export function createRedis(name: string, overrides: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptions(), connectionName: `chatnio-${name}`, ...overrides });
}

/** Resolves once the connection is ready (fail-fast connections refuse commands before that). */
export function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      redis.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      redis.off('ready', onReady);
      reject(new Error('Redis connection ended before it was ready'));
    };
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}
