// MySQL through knex (mysql2) with objection models bound to one knex instance per process.
import knexModule, { type Knex } from 'knex';
import { Model } from 'objection';
import { config } from './config.js';

/** database null connects to the server without selecting a database. */
export function knexConfig(database: string | null = config().MYSQL_DB): Knex.Config {
  const c = config();
  return {
    client: 'mysql2',
    connection: {
      host: c.MYSQL_HOST,
      port: c.MYSQL_PORT,
      user: c.MYSQL_USER,
      password: c.MYSQL_PASSWORD,
      database: database ?? undefined,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      decimalNumbers: false,
      timezone: 'Z',
      connectTimeout: 5000,
      // MySQL has no boolean type: TINYINT(1) columns come back as real booleans.
      typeCast(field: { type: string; length: number; string(): string | null }, next: () => unknown) {
        // DATE columns (billing periods, rollup days) stay 'YYYY-MM-DD' strings.
        if (field.type === 'DATE') return field.string();
        if (field.type === 'TINY' && field.length === 1) {
          const value = field.string();
          return value === null ? null : value === '1';
        }
        return next();
      },
    },
    pool: { min: 0, max: c.MYSQL_POOL_MAX },
    // While MySQL is down a request gets its 503 after this, not after knex's default 60 s.
    acquireConnectionTimeout: 5000,
  };
}

let shared: Knex | undefined;

/** The process's knex instance, also bound to every objection model. */
export function db(): Knex {
  if (!shared) {
    shared = knexModule(knexConfig());
    Model.knex(shared);
  }
  return shared;
}

/** A round trip to MySQL (readiness probes). */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('SELECT 1');
}

export async function closeDb(): Promise<void> {
  if (shared) {
    const current = shared;
    shared = undefined;
    await current.destroy();
  }
}

/** Creates the configured database when it does not exist (first start on an empty server). */
export async function ensureDatabase(name = config().MYSQL_DB): Promise<void> {
  const admin = knexModule({ ...knexConfig(null), pool: { min: 0, max: 1 } });
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [
      name,
    ]);
  } finally {
    await admin.destroy();
  }
}
