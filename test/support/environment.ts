// The test run's environment: a unique MySQL database and Redis key prefix per run, short
// relay timeouts, quiet logs. Set before anything reads the config.
import { randomBytes } from 'node:crypto';

const runId = randomBytes(4).toString('hex');

export const testEnvironment: Record<string, string> = {
  MYSQL_HOST: process.env.MYSQL_HOST ?? '127.0.0.1',
  MYSQL_PORT: process.env.MYSQL_PORT ?? '3306',
  MYSQL_USER: process.env.MYSQL_USER ?? 'root',
  MYSQL_PASSWORD: process.env.MYSQL_PASSWORD ?? '',
  MYSQL_DB: `chatnio_test_${runId}`,
  REDIS_HOST: process.env.REDIS_HOST ?? '127.0.0.1',
  REDIS_PORT: process.env.REDIS_PORT ?? '6379',
  REDIS_PREFIX: `test-${runId}`,
  SECRET: randomBytes(32).toString('hex'),
  ROOT_PASSWORD: 'root-test-password',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  RELAY_IDLE_TIMEOUT: '3',
  FIRST_TOKEN_TIMEOUT: '1.5',
  HEARTBEAT_INTERVAL: '0.5',
  SSE_KEEPALIVE_AFTER: '0.6',
  RATE_LIMIT_MAX_WAIT: '2',
  MAX_TIMEOUT: '20',
  SHUTDOWN_GRACE: '5',
  WORKER_CONCURRENCY: '50',
  // Tests stand in for a reverse proxy: X-Forwarded-For gives each test its own client IP.
  TRUST_PROXY: 'true',
};

Object.assign(process.env, testEnvironment);

/** Environment for child processes of this run (same database and prefix unless overridden). */
export function childEnvironment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...testEnvironment, ...overrides };
}
