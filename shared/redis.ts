// Redis connections (ioredis). BullMQ needs maxRetriesPerRequest=null on its connections;
// pub/sub needs connections of its own.
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

export function createRedis(name: string): Redis {
  return new Redis({ ...redisOptions(), connectionName: `chatnio-${name}` });
}
