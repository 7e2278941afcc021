// Removes what a test run or a benchmark left behind: its database and every Redis key under
// its prefix. Takes explicit connection settings so it works without the app's config.
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

export interface MysqlServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export async function dropDatabase(name: string, server: MysqlServer): Promise<void> {
  const connection = await mysql.createConnection(server);
  try {
    await connection.query('DROP DATABASE IF EXISTS ??', [name]);
  } finally {
    await connection.end();
  }
}

export async function deleteRedisPrefix(
  prefix: string,
  server: { host: string; port: number; password?: string },
): Promise<number> {
  const redis = new Redis({
    ...server,
    password: server.password || undefined,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  });
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
