// The one reader of process.env: a validated, frozen config object loaded once at start.
// A bad value fails fast with a message naming the variable.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => ['true', '1', 'yes'].includes(v));

/** Every environment variable with its default; the README lists the same table. */
const schema = z.object({
  MYSQL_HOST: z.string().min(1).default('127.0.0.1'),
  MYSQL_PORT: port.default(3306),
  MYSQL_USER: z.string().min(1).default('root'),
  MYSQL_PASSWORD: z.string().default(''),
  MYSQL_DB: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'letters, digits and _ only')
    .default('chatnio'),
  MYSQL_POOL_MAX: positiveInt.default(20),
  REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_PORT: port.default(6379),
  REDIS_PASSWORD: z.string().default(''),
  REDIS_DB: z.coerce.number().int().min(0).max(255).default(0),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only')
    .default('chatnio'),
  SECRET: z.string().default(''),
  SERVER_HOST: z.string().default('0.0.0.0'),
  SERVER_PORT: port.default(8094),
  MAX_TIMEOUT: seconds.default(300),
  ALLOW_ORIGINS: z.string().default(''),
  ROOT_PASSWORD: z.string().min(6).default('chatnio123456'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_CONCURRENCY: positiveInt.default(5000),
  RELAY_IDLE_TIMEOUT: seconds.default(20),
  FIRST_TOKEN_TIMEOUT: seconds.default(60),
  HEARTBEAT_INTERVAL: seconds.default(5),
  SSE_KEEPALIVE_AFTER: seconds.default(3),
  SHUTDOWN_GRACE: seconds.default(30),
  RATE_LIMIT_MAX_WAIT: seconds.default(5),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/i, 'a size like 4mb or 512kb')
    .default('4mb'),
  AUTH_CACHE_TTL: seconds.default(60),
  /** A built front end (Chat Nio's app/dist) to serve at the root, with an SPA fallback; empty serves none. */
  STATIC_DIR: z.string().default(''),
  /** Largest WebSocket frame a client may send (messages carry data-URI images). */
  WS_MAX_FRAME: z
    .string()
    .regex(/^\d+(kb|mb)$/i, 'a size like 16mb or 512kb')
    .default('16mb'),
  COOKIE_SECURE: flag.default(false),
  /** Trust X-Forwarded-For (only behind a proxy that sets it): per-IP limits use it. */
  TRUST_PROXY: flag.default(false),
  JOB_LOCK_DURATION: seconds.default(30),
  STALLED_CHECK_INTERVAL: seconds.default(30),
  JOB_KEEP_COMPLETED: z.coerce.number().int().min(0).default(1000),
  JOB_KEEP_FAILED: z.coerce.number().int().min(0).default(5000),
});

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {}

/** Parses an environment-like record; throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}

let loaded: Config | undefined;

/** The process-wide config, read from process.env the first time it is asked for. */
export function config(): Config {
  if (!loaded) loaded = parseConfig(process.env);
  return loaded;
}

/** Tests and embedders may set the config explicitly before anything reads it. */
export function setConfig(next: Config): Config {
  loaded = next;
  return next;
}
