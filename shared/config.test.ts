// Unit tests for environment parsing: defaults, empty values, validation errors and body limits.
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './config.js';

function rejects(env: Record<string, string>, variable: string): ConfigError {
  let caught: unknown;
  try {
    parseConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError for ${JSON.stringify(env)}`);
  assert.ok(caught instanceof Error);
  assert.match(caught.message, new RegExp(`\\b${variable}=`), caught.message);
  return caught;
}

describe('config', () => {
  describe('parseConfig', () => {
    it('applies every default to an empty environment', () => {
      const config = parseConfig({});
      assert.equal(config.SERVER_PORT, 8094);
      assert.equal(config.SERVER_HOST, '0.0.0.0');
      assert.equal(config.MYSQL_HOST, '127.0.0.1');
      assert.equal(config.MYSQL_PORT, 3306);
      assert.equal(config.MYSQL_USER, 'root');
      assert.equal(config.MYSQL_PASSWORD, '');
      assert.equal(config.MYSQL_DB, 'chatnio');
      assert.equal(config.MYSQL_POOL_MAX, 20);
      assert.equal(config.REDIS_HOST, '127.0.0.1');
      assert.equal(config.REDIS_PORT, 6379);
      assert.equal(config.REDIS_DB, 0);
      assert.equal(config.REDIS_PREFIX, 'chatnio');
      assert.equal(config.MAX_TIMEOUT, 300);
      assert.equal(config.LOG_LEVEL, 'info');
      assert.equal(config.WORKER_CONCURRENCY, 5000);
      assert.equal(config.RELAY_IDLE_TIMEOUT, 20);
      assert.equal(config.FIRST_TOKEN_TIMEOUT, 60);
      assert.equal(config.HEARTBEAT_INTERVAL, 5);
      assert.equal(config.SSE_KEEPALIVE_AFTER, 3);
      assert.equal(config.SHUTDOWN_GRACE, 30);
      assert.equal(config.RATE_LIMIT_MAX_WAIT, 5);
      assert.equal(config.BODY_LIMIT, '4mb');
      assert.equal(config.AUTH_CACHE_TTL, 60);
      assert.equal(config.COOKIE_SECURE, false);
      assert.equal(config.ROOT_PASSWORD, 'chatnio123456');
      assert.equal(config.JOB_KEEP_COMPLETED, 1000);
      assert.equal(config.JOB_KEEP_FAILED, 5000);
    });

    it('treats empty strings as unset', () => {
      const config = parseConfig({
        SERVER_PORT: '',
        MYSQL_DB: '',
        LOG_LEVEL: '',
        WORKER_CONCURRENCY: '',
        MYSQL_HOST: '',
      });
      assert.equal(config.SERVER_PORT, 8094);
      assert.equal(config.MYSQL_DB, 'chatnio');
      assert.equal(config.LOG_LEVEL, 'info');
      assert.equal(config.WORKER_CONCURRENCY, 5000);
      assert.equal(config.MYSQL_HOST, '127.0.0.1');
    });

    it('coerces numbers and parses flags', () => {
      const config = parseConfig({
        SERVER_PORT: '9000',
        MYSQL_PORT: '3307',
        REDIS_DB: '3',
        MAX_TIMEOUT: '2.5',
        WORKER_CONCURRENCY: '12',
        LOG_LEVEL: 'debug',
        COOKIE_SECURE: 'true',
        MYSQL_DB: 'chat_nio_2',
      });
      assert.equal(config.SERVER_PORT, 9000);
      assert.equal(config.MYSQL_PORT, 3307);
      assert.equal(config.REDIS_DB, 3);
      assert.equal(config.MAX_TIMEOUT, 2.5);
      assert.equal(config.WORKER_CONCURRENCY, 12);
      assert.equal(config.LOG_LEVEL, 'debug');
      assert.equal(config.COOKIE_SECURE, true);
      assert.equal(config.MYSQL_DB, 'chat_nio_2');
      for (const [value, expected] of [
        ['1', true],
        ['yes', true],
        ['false', false],
        ['0', false],
        ['no', false],
      ] as const) {
        assert.equal(parseConfig({ COOKIE_SECURE: value }).COOKIE_SECURE, expected, value);
      }
    });

    it('ignores variables it does not know', () => {
      const config = parseConfig({ PATH: '/usr/bin', HOME: '/root' }) as Record<string, unknown>;
      assert.equal(config.PATH, undefined);
    });

    it('rejects a non-numeric SERVER_PORT', () => {
      rejects({ SERVER_PORT: 'abc' }, 'SERVER_PORT');
    });

    it('rejects an out-of-range MYSQL_PORT', () => {
      const error = rejects({ MYSQL_PORT: '70000' }, 'MYSQL_PORT');
      assert.match(error.message, /70000/);
    });

    it('rejects an unknown LOG_LEVEL', () => {
      rejects({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    });

    it('rejects WORKER_CONCURRENCY=0', () => {
      rejects({ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY');
    });

    it('rejects an unsafe MYSQL_DB name', () => {
      const error = rejects({ MYSQL_DB: 'bad-name;' }, 'MYSQL_DB');
      assert.match(error.message, /letters, digits and _ only/);
    });

    it('rejects other bad values', () => {
      rejects({ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE');
      rejects({ BODY_LIMIT: '4gb' }, 'BODY_LIMIT');
      rejects({ MAX_TIMEOUT: '-1' }, 'MAX_TIMEOUT');
      rejects({ REDIS_DB: '256' }, 'REDIS_DB');
      rejects({ ROOT_PASSWORD: '123' }, 'ROOT_PASSWORD');
      rejects({ REDIS_PREFIX: 'a b' }, 'REDIS_PREFIX');
    });

    it('names every bad variable in one error', () => {
      const error = rejects({ SERVER_PORT: 'abc', LOG_LEVEL: 'loud', MYSQL_PORT: '70000' }, 'SERVER_PORT');
      assert.match(error.message, /LOG_LEVEL=/);
      assert.match(error.message, /MYSQL_PORT=/);
    });

    it('returns a frozen object', () => {
      const config = parseConfig({});
      assert.ok(Object.isFrozen(config));
      assert.throws(() => {
        (config as { SERVER_PORT: number }).SERVER_PORT = 1;
      }, TypeError);
      assert.equal(config.SERVER_PORT, 8094);
    });
  });
});
