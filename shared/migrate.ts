// Runs the knex migrations and the root seed under a MySQL named lock, so any number of
// processes may start at once on an empty database and exactly one of them migrates.
import type { Knex } from 'knex';
import { migrations } from '../migrations/index.js';
import { config } from './config.js';
import { db, ensureDatabase } from './db.js';
import { logger } from './log.js';
import { seedRoot } from './seed.js';

const LOCK_NAME = 'chatnio_migrate';
const LOCK_WAIT_SECONDS = 120;

const migrationSource: Knex.MigrationSource<[string, Knex.Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};

export async function migrateAndSeed(): Promise<void> {
  await ensureDatabase();
  const knex = db();
  const lockName = `${LOCK_NAME}_${config().MYSQL_DB}`;
  // A named lock belongs to one connection: hold it on a dedicated transaction connection.
  await knex.transaction(async (trx) => {
    const [rows] = await trx.raw('SELECT GET_LOCK(?, ?) AS got', [lockName, LOCK_WAIT_SECONDS]);
    if (Number(rows[0]?.got) !== 1)
      throw new Error(`could not take the migration lock within ${LOCK_WAIT_SECONDS}s`);
    try {
      const [batch, applied] = await knex.migrate.latest({
        migrationSource,
        disableMigrationsListValidation: false,
      });
      if (applied.length > 0) logger().info({ batch, applied }, 'migrations applied');
      await seedRoot(knex);
    } finally {
      await trx.raw('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  });
}
