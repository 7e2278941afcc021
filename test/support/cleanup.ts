// Removes what a test run left behind: its database and every Redis key under its prefix.
import { Redis } from 'ioredis';
import knexModule from 'knex';
import { knexConfig } from '../../shared/db.js';

export async function dropDatabase(name: string): Promise<void> {
  const admin = knexModule({ ...knexConfig(null), pool: { min: 0, max: 1 } });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
  } finally {
    await admin.destroy();
  }
}

export async function deleteRedisPrefix(prefix: string, host: string, port: number): Promise<number> {
  const redis = new Redis({ host, port, lazyConnect: true });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
