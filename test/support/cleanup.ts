// The test run's cleanup: its database and Redis prefix, on the configured servers.
import { deleteRedisPrefix as deletePrefix, dropDatabase as dropNamed } from '../../ops/cleanup.js';
import { config } from '../../shared/config.js';

export function dropDatabase(name: string): Promise<void> {
  const c = config();
  return dropNamed(name, {
    host: c.MYSQL_HOST,
    port: c.MYSQL_PORT,
    user: c.MYSQL_USER,
    password: c.MYSQL_PASSWORD,
  });
}

export function deleteRedisPrefix(prefix: string): Promise<number> {
  const c = config();
  return deletePrefix(prefix, { host: c.REDIS_HOST, port: c.REDIS_PORT, password: c.REDIS_PASSWORD });
}
